import { useEffect, useState } from 'preact/hooks';
import type { Segment } from '@rapport/schemas';
import { download } from '../api.js';
import { CONSENT_MEANING } from '../consent.js';
import { ConsentBadge } from '../consent-badge.js';
import { SeriesChart } from '../chart.js';
import { formatCount, formatInstant } from '../format.js';
import { href, navigate } from '../router.js';
import { Loading, Section, Stat, Stats, Table } from '../ui.js';
import { useApi } from '../use-api.js';
import { ExplainBox } from './segment-explain.js';

interface MembersPage {
  members: { customerId: string | null; anonymousId: string | null; since: string | null }[];
  next: string | null;
}

interface History {
  days: { day: string; entered: number; exited: number; members: number }[];
}

function Members(props: { id: string; reload: number; onExplain: (customerId: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  const state = useApi<MembersPage>(
    `/v1/segments/${encodeURIComponent(props.id)}/members?limit=100`,
    props.reload,
  );
  return (
    <Section title="Members">
      <button
        type="button"
        onClick={() =>
          void download(
            `/v1/segments/${encodeURIComponent(props.id)}/members`,
            `${props.id}-members.csv`,
          ).catch((failure: unknown) =>
            setError(failure instanceof Error ? failure.message : String(failure)),
          )
        }
      >
        Download CSV
      </button>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <Loading state={state}>
        {(page) => (
          <Table
            id="members"
            caption={page.next ? 'The first 100 members; the CSV has every member.' : undefined}
            columns={[
              {
                label: 'member',
                value: (m) =>
                  m.customerId ? (
                    <a href={href(['customers', m.customerId])}>{m.customerId}</a>
                  ) : (
                    `visitor ${m.anonymousId}`
                  ),
              },
              { label: 'since', value: (m) => formatInstant(m.since) },
              {
                label: 'why',
                value: (m) =>
                  m.customerId ? (
                    <button
                      type="button"
                      class="link"
                      aria-label={`Explain ${m.customerId}`}
                      onClick={() => props.onExplain(m.customerId!)}
                    >
                      Explain
                    </button>
                  ) : null,
              },
            ]}
            rows={page.members}
            empty="No members (or no evaluation yet)."
          />
        )}
      </Loading>
    </Section>
  );
}

/** How often, and how many times, a segment whose version is not evaluated yet is read again. */
const PENDING_POLL_MS = 2_000;
const PENDING_POLLS = 150;

/** Whether the segment's current version has members yet: the segments job evaluated it. */
const evaluated = (s: Segment) =>
  s.lastEvaluation !== null && s.lastEvaluation.version >= s.version;

export function SegmentPage(props: { id: string; explain: string | null }) {
  // Read again while the current version waits for its evaluation (a run starts as it is saved).
  const [polls, setPolls] = useState(0);
  const segment = useApi<Segment>(`/v1/segments/${encodeURIComponent(props.id)}`, polls);
  const history = useApi<History>(`/v1/segments/${encodeURIComponent(props.id)}/history`, polls);
  const pending = segment.data !== null && !evaluated(segment.data);
  useEffect(() => {
    if (!pending || segment.loading || polls >= PENDING_POLLS) return;
    const timer = setTimeout(() => setPolls((n) => n + 1), PENDING_POLL_MS);
    return () => clearTimeout(timer);
  }, [pending, segment.loading, polls]);
  // The customer explained is kept in the address, so that an explanation can be linked to.
  const explain = (customerId: string) => navigate(['segments', props.id], { explain: customerId });
  return (
    <Loading state={segment}>
      {(s) => (
        <>
          <h1>{s.name}</h1>
          <p class="muted">{s.description}</p>
          {s.requiresConsent.length > 0 ? (
            <p data-testid="requires-consent">
              <ConsentBadge purposes={s.requiresConsent} /> {CONSENT_MEANING} Explanations show a{' '}
              <code>traits.consent_&lt;purpose&gt;</code> condition per purpose after the rule.
            </p>
          ) : null}
          <p>
            <a href={href(['segments', s.id, 'edit'])}>Edit the rule</a>
          </p>
          {evaluated(s) ? null : (
            <p role="status" data-testid="evaluation-pending">
              Version {s.version} is not evaluated yet. While the segments job is scheduled, a run
              for it starts a second after it is saved, and this page shows its members when that
              run has evaluated it
              {s.lastEvaluation ? ' (until then, those of the version before)' : ''}; otherwise
              start the segments job from <a href={href(['jobs'])}>Jobs</a>.
            </p>
          )}
          <Stats>
            <Stat
              id="segment-members"
              label="members"
              value={s.lastEvaluation ? formatCount(s.lastEvaluation.members) : '—'}
            />
            <Stat id="segment-version" label="version" value={String(s.version)} />
            <Stat
              id="segment-evaluated"
              label="evaluated"
              value={formatInstant(s.lastEvaluation?.computedAt)}
            />
          </Stats>
          <div class="grid">
            <Section title="Rule">
              <pre data-testid="rule" tabIndex={0} aria-label="rule">
                {JSON.stringify(s.rule, null, 2)}
              </pre>
            </Section>
            <Section title="Members over time">
              <Loading state={history}>
                {(h) => (
                  <SeriesChart
                    kind="line"
                    labels={h.days.map((d) => d.day)}
                    series={[{ label: 'members', values: h.days.map((d) => d.members) }]}
                    title="members at the end of each day"
                  />
                )}
              </Loading>
            </Section>
          </div>
          <ExplainBox segmentId={props.id} customerId={props.explain} onExplain={explain} />
          <Members id={props.id} reload={pending ? polls : -1} onExplain={explain} />
        </>
      )}
    </Loading>
  );
}
