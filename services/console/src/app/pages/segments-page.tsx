import type { Segment } from '@rapport/schemas';
import { Sparkline } from '../chart.js';
import { CONSENT_MEANING } from '../consent.js';
import { ConsentBadge } from '../consent-badge.js';
import { formatCount, formatInstant } from '../format.js';
import { href, type Route } from '../router.js';
import { Loading, Table } from '../ui.js';
import { useApi } from '../use-api.js';
import { SegmentEditorPage } from './segment-editor.js';
import { SegmentPage } from './segment-page.js';

interface History {
  days: { day: string; members: number }[];
}

/** Members at the end of each of the last 90 days. */
function MembersSparkline(props: { id: string }) {
  const state = useApi<History>(`/v1/segments/${encodeURIComponent(props.id)}/history`);
  if (!state.data) return null;
  const values = state.data.days.map((d) => d.members);
  const first = values[0] ?? 0;
  const last = values.at(-1) ?? 0;
  return (
    <Sparkline
      values={values}
      label={`members over the last ${values.length} days: ${formatCount(first)} to ${formatCount(last)}`}
    />
  );
}

function SegmentList() {
  const state = useApi<{ segments: Segment[] }>('/v1/segments');
  return (
    <>
      <h1>Segments</h1>
      <p>
        <a href={href(['segments', 'new'])}>New segment</a>
      </p>
      <Loading state={state}>
        {({ segments }) => (
          <>
            <Table
              id="segments"
              columns={[
                {
                  label: 'segment',
                  key: 'name',
                  value: (s) => <a href={href(['segments', s.id])}>{s.name}</a>,
                },
                { label: 'id', key: 'id', value: (s) => <code>{s.id}</code> },
                {
                  label: 'consent',
                  key: 'consent',
                  value: (s) => <ConsentBadge purposes={s.requiresConsent} />,
                },
                { label: 'version', key: 'version', value: (s) => s.version, numeric: true },
                {
                  label: 'members',
                  key: 'members',
                  value: (s) => (s.lastEvaluation ? formatCount(s.lastEvaluation.members) : '—'),
                  numeric: true,
                },
                {
                  label: 'last 90 days',
                  key: 'history',
                  value: (s) => <MembersSparkline id={s.id} />,
                },
                {
                  label: 'evaluated',
                  key: 'evaluated',
                  value: (s) => formatInstant(s.lastEvaluation?.computedAt),
                },
              ]}
              rows={segments}
              empty="No segment yet: create one with POST /v1/segments."
            />
            {segments.some((s) => s.requiresConsent.length > 0) ? (
              <p class="muted" data-testid="consent-meaning">
                Requires consent: {CONSENT_MEANING}
              </p>
            ) : null}
          </>
        )}
      </Loading>
    </>
  );
}

export function SegmentsPage(props: { route: Route }) {
  const [, id, action] = props.route.path;
  if (id === 'new') return <SegmentEditorPage id={null} />;
  if (id && action === 'edit') return <SegmentEditorPage id={id} />;
  return id ? <SegmentPage id={id} explain={props.route.params.get('explain')} /> : <SegmentList />;
}
