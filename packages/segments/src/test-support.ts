import {
  lapsedMs,
  writeProfileSnapshot,
  type ProfileSnapshotParams as FeaturesParams,
} from '@rapport/profiles';
import type { SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { eventRow, insertRows } from '@rapport/store/testing';
import { compileRule } from './compile-rule.js';
import { matchingProfilesSql } from './matching-profiles-sql.js';

// Shared by the tests of this package that run rules against the embedded engine.

export const NOW = Date.UTC(2024, 6, 1);
export const DAY = 86_400_000;

let sequence = 0;

export interface EventInput {
  type: string;
  customerId?: string;
  anonymousId?: string;
  /** Days before NOW. */
  daysAgo: number;
  channel?: string;
  amount?: number;
  currency?: string;
  properties?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

/** An `events` row as the pipeline stores it; purchases and refunds get an order id. */
export function storedEvent(input: EventInput): Record<string, unknown> {
  const { daysAgo, ...rest } = input;
  sequence++;
  return eventRow({
    ...rest,
    eventId: `e${sequence}`,
    at: NOW - daysAgo * DAY,
    ...(input.type === 'purchase' || input.type === 'refund' ? { orderId: `o${sequence}` } : {}),
  });
}

export async function insertEvents(store: Store, events: readonly EventInput[]) {
  await insertRows(store, 'events', events.map(storedEvent));
}

export function featuresParams(runId: string, runs: Partial<FeaturesParams> = {}): FeaturesParams {
  return {
    runId,
    now: NOW,
    lapsedMs: lapsedMs(90),
    rfmRun: '',
    clvRun: '',
    clustersRun: '',
    ...runs,
  };
}

/** Stores a features run of every profile as it stands. */
export async function writeFeatures(store: Store, params: FeaturesParams) {
  await writeProfileSnapshot(store, params);
}

/** The profile keys a rule matches in a stored features run, sorted. */
export async function matching(store: Store, rule: SegmentRule, runId: string): Promise<string[]> {
  const compiled = compileRule(rule, { now: NOW });
  const rows = await store.query<{ profile_key: string }>(
    matchingProfilesSql(compiled.where, 'snapshot'),
    { ...compiled.params, featuresRun: runId },
  );
  return rows.map((row) => row.profile_key).sort();
}

/** The profile keys a rule matches with features computed in the query, sorted. */
export async function matchingLive(
  store: Store,
  rule: SegmentRule,
  params: FeaturesParams,
): Promise<string[]> {
  const compiled = compileRule(rule, { now: NOW });
  const rows = await store.query<{ profile_key: string }>(
    matchingProfilesSql(compiled.where, 'live'),
    { ...params, ...compiled.params },
  );
  return rows.map((row) => row.profile_key).sort();
}

/** The profiles whose membership of the segment is open, sorted. */
export async function openMembers(store: Store, segmentId: string): Promise<string[]> {
  const rows = await store.query<{ profile_key: string }>(
    `SELECT DISTINCT profile_key FROM segment_membership FINAL
     WHERE segment_id = {segmentId:String} AND exited_at IS NULL ORDER BY profile_key`,
    { segmentId },
  );
  return rows.map((row) => row.profile_key);
}
