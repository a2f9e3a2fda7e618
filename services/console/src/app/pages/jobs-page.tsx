import type { RunRecord } from '@rapport/schemas';
import { useState } from 'preact/hooks';
import { sendJson } from '../api.js';
import { formatInstant } from '../format.js';
import { Loading, Section, Table } from '../ui.js';
import { useApi } from '../use-api.js';

interface JobList {
  jobs: { name: string; description: string; schedule: string | null; lastRun: RunRecord | null }[];
}

const progressOf = (run: RunRecord) =>
  run.progress ? `${run.progress.phase} ${run.progress.done}/${run.progress.total}` : '';

/** Who or what started a run, in words. */
const TRIGGERS: Record<RunRecord['trigger'], string> = {
  schedule: 'schedule',
  'segment-saved': 'segment saved',
  api: 'API',
  cli: 'command line',
};

const paramText = (value: unknown): string => {
  if (Array.isArray(value)) return value.map(paramText).join(', ');
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
};

/** A run's parameters as it took them (`name value; …`), its defaults included. */
const paramsOf = (run: RunRecord) =>
  Object.entries(run.params)
    .map(([name, value]) => `${name} ${paramText(value)}`)
    .join('; ') || '—';

export function JobsPage() {
  const [reload, setReload] = useState(0);
  const [message, setMessage] = useState<string | null>(null);
  const jobs = useApi<JobList>('/v1/jobs', reload);
  const runs = useApi<{ runs: RunRecord[] }>('/v1/jobs/runs?limit=30', reload);
  const start = async (name: string) => {
    try {
      const run = await sendJson<{ runId: string }>(
        'POST',
        `/v1/jobs/${encodeURIComponent(name)}/runs`,
        {},
      );
      setMessage(`Started ${name}: run ${run.runId}.`);
    } catch (failure) {
      setMessage(failure instanceof Error ? failure.message : String(failure));
    }
    setReload((n) => n + 1);
  };
  return (
    <>
      <h1>Jobs</h1>
      {message ? <p role="status">{message}</p> : null}
      <Section title="Jobs">
        <Loading state={jobs}>
          {({ jobs: list }) => (
            <Table
              id="jobs"
              columns={[
                { label: 'job', value: (j) => j.name },
                { label: 'what it does', value: (j) => j.description },
                { label: 'schedule (UTC)', value: (j) => j.schedule ?? '—' },
                {
                  label: 'last run',
                  value: (j) =>
                    j.lastRun ? `${j.lastRun.status} ${formatInstant(j.lastRun.startedAt)}` : '—',
                },
                {
                  label: 'start',
                  value: (j) => (
                    <button type="button" onClick={() => void start(j.name)}>
                      Run {j.name}
                    </button>
                  ),
                },
              ]}
              rows={list}
            />
          )}
        </Loading>
      </Section>
      <Section title="Recent runs">
        <button type="button" onClick={() => setReload((n) => n + 1)}>
          Refresh
        </button>
        <Loading state={runs}>
          {({ runs: list }) => (
            <Table
              id="runs"
              columns={[
                { label: 'run', value: (r) => <code>{r.runId}</code> },
                { label: 'job', value: (r) => r.job },
                { label: 'started by', value: (r) => TRIGGERS[r.trigger] },
                { label: 'parameters', value: paramsOf },
                { label: 'status', value: (r) => r.status },
                { label: 'progress', value: progressOf },
                { label: 'started', value: (r) => formatInstant(r.startedAt) },
                {
                  label: 'phases',
                  value: (r) =>
                    r.phases.map((p) => `${p.name} ${p.seconds.toFixed(1)} s`).join(', '),
                },
                { label: 'error', value: (r) => r.error ?? '' },
              ]}
              rows={list}
              empty="No run yet."
            />
          )}
        </Loading>
      </Section>
    </>
  );
}
