import { LIFECYCLE_STAGES, type LifecycleReport, type LifecycleStage } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { profiledEventsSql } from './profiled-events-sql.js';
import { DAY_MS, FROM, num, resolveRange, TO } from './report-range.js';

export interface LifecycleReportInput {
  from?: string | undefined;
  to?: string | undefined;
  /** A profile silent this long is lapsed (the profiles' own setting). */
  lapsedAfterDays: number;
}

/**
 * The stage a profile was in at `at`, from its events before then — the profile field's
 * definition (packages/profiles): visitor until identified, then lapsed when silent longer
 * than `{lapsedMs:Int64}`, else lead, customer (one order) or repeat.
 */
const stageAt = (at: string, suffix: string) => `multiIf(
        startsWith(profile, 'a:') OR identified_at IS NULL OR identified_at >= ${at}, 'visitor',
        last_seen_${suffix} < ${at} - toIntervalMillisecond({lapsedMs:Int64}), 'lapsed',
        orders_${suffix} = 0, 'lead',
        orders_${suffix} = 1, 'customer',
        'repeat')`;

/**
 * One row per profile seen before `{to:Int64}`: its stage at `{from:Int64}` ('new' when first
 * seen in the period) and at `to`, whether it was active in the period, and the channel and
 * campaign tags of its first event.
 */
const PROFILE_STAGES_SQL = `
    SELECT profile,
        if(first_seen >= ${FROM}, 'new', ${stageAt(FROM, 'start')}) AS stage_start,
        ${stageAt(TO, 'end')} AS stage_end,
        last_seen_end >= ${FROM} AS active,
        first_touch.1 AS channel,
        JSONExtractString(first_touch.2, 'campaign', 'source') AS source,
        JSONExtractString(first_touch.2, 'campaign', 'medium') AS medium
    FROM (
        SELECT profile,
            min(timestamp) AS first_seen,
            minIf(toNullable(timestamp), startsWith(customer_key, 'c:')) AS identified_at,
            maxIf(timestamp, timestamp < ${FROM}) AS last_seen_start,
            max(timestamp) AS last_seen_end,
            countIf(type = 'purchase' AND timestamp < ${FROM}) AS orders_start,
            countIf(type = 'purchase') AS orders_end,
            -- The context is parsed once per profile, not once per event.
            argMin((toString(channel), context), (timestamp, event_id)) AS first_touch
        FROM (${profiledEventsSql(`e.timestamp < ${TO}`)})
        GROUP BY profile
    )`;

const FLOWS_SQL = `
    SELECT stage_start, stage_end, count() AS profiles FROM (${PROFILE_STAGES_SQL})
    GROUP BY stage_start, stage_end`;

const PROSPECTS_SQL = `
    SELECT channel, source, medium,
        countIf(stage_end = 'visitor') AS visitors, countIf(stage_end = 'lead') AS leads
    FROM (${PROFILE_STAGES_SQL})
    WHERE active AND stage_end IN ('visitor', 'lead')
    GROUP BY channel, source, medium
    ORDER BY visitors + leads DESC, channel, source, medium`;

/** Profiles by lifecycle stage at the start and end of the period, the flows, and prospects. */
export async function readLifecycleReport(
  store: Store,
  input: LifecycleReportInput,
): Promise<LifecycleReport> {
  const range = await resolveRange(store, input);
  const params = { ...range, lapsedMs: input.lapsedAfterDays * DAY_MS };
  const [flows, prospects] = await Promise.all([
    store.query<{ stage_start: string; stage_end: string; profiles: unknown }>(FLOWS_SQL, params),
    store.query<{
      channel: string;
      source: string;
      medium: string;
      visitors: unknown;
      leads: unknown;
    }>(PROSPECTS_SQL, params),
  ]);
  const count = (pick: (row: (typeof flows)[number]) => boolean) =>
    flows.filter(pick).reduce((total, row) => total + num(row.profiles), 0);
  const sources = prospects.map((row) => ({
    channel: row.channel,
    source: row.source,
    medium: row.medium,
    visitors: num(row.visitors),
    leads: num(row.leads),
  }));
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    lapsedAfterDays: input.lapsedAfterDays,
    stages: LIFECYCLE_STAGES.map((stage) => ({
      stage,
      start: count((row) => row.stage_start === stage),
      end: count((row) => row.stage_end === stage),
    })),
    flows: flows
      .map((row) => ({
        from: row.stage_start === 'new' ? ('new' as const) : stageOf(row.stage_start),
        to: stageOf(row.stage_end),
        profiles: num(row.profiles),
      }))
      .sort((a, b) => order(a.from) - order(b.from) || order(a.to) - order(b.to)),
    prospects: {
      visitors: sources.reduce((total, row) => total + row.visitors, 0),
      leads: sources.reduce((total, row) => total + row.leads, 0),
      sources,
    },
  };
}

function stageOf(value: string): LifecycleStage {
  const stage = LIFECYCLE_STAGES.find((known) => known === value);
  if (stage === undefined) throw new Error(`unknown lifecycle stage from the store: ${value}`);
  return stage;
}

const order = (stage: string) => ['new', ...LIFECYCLE_STAGES].indexOf(stage);
