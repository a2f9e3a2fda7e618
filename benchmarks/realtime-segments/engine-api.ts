import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineProcess } from '../lib/engine-process.js';
import { ThreadCpu } from '../lib/thread-cpu.js';
import { fetchMetrics, metricValue } from '../lib/metrics.js';
import type { startReceiver } from './receiver.js';

export async function api(engine: EngineProcess, path: string, body?: unknown, method?: 'PUT') {
  const response = await fetch(`${engine.origin}${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Runs the segments job through the API; its seconds and summary. */
export async function segmentsRun(engine: EngineProcess) {
  const { runId } = (await api(engine, '/v1/jobs/segments/runs', {})) as { runId: string };
  for (;;) {
    const run = (await api(engine, `/v1/jobs/runs/${runId}`)) as {
      status: string;
      summary: {
        corrections?: { total: number };
        segments?: Record<string, { entered: number; exited: number }>;
      };
      startedAt: string;
      finishedAt: string | null;
    };
    if (run.status !== 'running' && run.status !== 'queued') {
      if (run.status !== 'succeeded') throw new Error(`segments run ${run.status}`);
      const changes = Object.values(run.summary.segments ?? {}).reduce(
        (sum, s) => sum + s.entered + s.exited,
        0,
      );
      return {
        seconds: (Date.parse(run.finishedAt ?? '') - Date.parse(run.startedAt)) / 1000,
        corrections: run.summary.corrections?.total ?? 0,
        changes,
      };
    }
    await sleep(250);
  }
}

/**
 * Waits until the webhook has taken `count` more changes than `from` (at most 15 minutes, or
 * until none came for 10 s): a run's changes are delivered before the next phase, or the
 * probes' entries would queue behind them (at a million people the first run enters hundreds
 * of thousands).
 */
export async function delivered(
  receiver: Awaited<ReturnType<typeof startReceiver>>,
  from: number,
  count: number,
) {
  const started = performance.now();
  let seen = receiver.changes();
  let lastGrowth = started;
  while (receiver.changes() - from < count && performance.now() - started < 15 * 60_000) {
    // Nothing more for 10 s: there is nothing more to come (a change counted twice, say).
    if (performance.now() - lastGrowth > 10_000) break;
    await sleep(250);
    if (receiver.changes() > seen) {
      seen = receiver.changes();
      lastGrowth = performance.now();
    }
  }
  return (performance.now() - started) / 1000;
}

/**
 * Waits (at most 5 minutes) until an engine just started with streaming on has evaluated its
 * start-up catch-up — the profiles with events received in the last 10 minutes, evaluated
 * again after a restart — so that a phase measures evaluation as it goes on, not the catch-up.
 * The catch-up is queued once the engine has read those keys, a moment after it listens: the
 * wait is for an evaluation to have run (at most 15 s: none may have had events), then for no
 * key to be left. The most keys seen waiting, the evaluations and the seconds it took.
 */
export async function caughtUp(engine: EngineProcess) {
  const started = performance.now();
  let most = 0;
  for (;;) {
    await sleep(500);
    const metrics = await fetchMetrics(engine.origin);
    const waiting = metricValue(metrics, 'rapport_segment_stream_pending_keys');
    const evaluations = metricValue(metrics, 'rapport_segment_stream_seconds_count');
    most = Math.max(most, waiting);
    const elapsed = performance.now() - started;
    const begun = most > 0 || evaluations > 0;
    if ((begun && waiting === 0) || (!begun && elapsed > 15_000) || elapsed > 5 * 60_000) {
      return { keys: most, evaluations, seconds: elapsed / 1000 };
    }
  }
}

/** The embedded store's merge threads (see ThreadCpu): parts merged in the background. */
const MERGE_THREADS = 'MergeMutate';

/**
 * Waits (at most 3 minutes) until the engine's store has merged the parts earlier work left
 * (a segments run's memberships, the last phase's events): its merge threads under a twentieth
 * of a core for 3 seconds running, so that no phase pays for the merges of the work before it
 * (at a million people they settled 3-8 s after each start). The seconds waited and whether
 * they settled.
 */
export async function mergesSettled(engine: EngineProcess) {
  const started = performance.now();
  const threads = new ThreadCpu(engine.pid);
  let quiet = 0;
  while (quiet < 3 && performance.now() - started < 3 * 60_000) {
    await sleep(1000);
    const merging = threads.sample().get(MERGE_THREADS) ?? 0;
    quiet = merging < 0.05 ? quiet + 1 : 0;
  }
  return { seconds: (performance.now() - started) / 1000, settled: quiet >= 3 };
}
