import type { SegmentChange } from '@rapport/schemas';
import {
  batchOnlySegments,
  type EvaluableDefinition,
  type SegmentEvaluation,
} from '@rapport/segments';
import type { Store } from '@rapport/store';
import type { JobContext } from '../job.js';
import type { SegmentVerdict } from './evaluate-segment.js';

/**
 * Evaluates every segment (or those `segments` names) for these profiles now, writes and
 * records what changed (streaming evaluation's `evaluate`); the changes are named by `runId`.
 */
export type Reconcile = (
  profileKeys: readonly string[],
  options: {
    runId: string;
    at: number;
    batchOnly: true;
    segments?: readonly string[];
    /** The run's store: a stop cancels its statements, the reconcile's with the rest. */
    store: Store;
  },
) => Promise<SegmentChange[]>;

export interface ReconcileMetrics {
  segmentReconcileCorrections: {
    inc(labels: { segment: string; change: string }, n: number): void;
  };
}

/** Corrections logged one by one at most, per run; the rest are counted. */
const MAX_LOGGED = 1000;

/**
 * The profiles with more than one open stay in a segment: two processes evaluated the profile
 * at the same moment and both let it in (distributed mode, while partitions move).
 */
async function doubledStays(store: Store, segments: readonly string[]) {
  if (segments.length === 0) return [];
  return store.query<{ segment_id: string; profile_key: string; stays: number }>(
    `SELECT segment_id, profile_key, count() AS stays FROM segment_membership FINAL
     WHERE exited_at IS NULL AND segment_id IN {segments:Array(String)}
     GROUP BY segment_id, profile_key HAVING stays > 1
     ORDER BY segment_id, profile_key`,
    { segments },
  );
}

const keyOf = (change: SegmentChange) =>
  change.customerId === null ? `a:${change.anonymousId ?? ''}` : `c:${change.customerId}`;

/**
 * The run's reconcile step: the profiles whose membership any segment's evaluation disputed
 * are evaluated again, now, by streaming evaluation's rule and written as it writes them. So a
 * profile that changed since the run's snapshot is judged on what it is now, and the changes
 * are in order with streaming ones. With streaming on, a change to a segment evaluated before
 * under the same version is a correction: streaming evaluation missed it.
 */
export async function reconcileStep(input: {
  context: JobContext;
  at: number;
  verdicts: ReadonlyMap<string, SegmentVerdict>;
  due: readonly EvaluableDefinition[];
  latest: ReadonlyMap<string, SegmentEvaluation>;
  reconcile: Reconcile;
  streaming: boolean;
  /** The run is restricted to some segments: the disputed profiles are evaluated for `due`. */
  restricted?: boolean;
  metrics?: ReconcileMetrics | undefined;
}): Promise<{
  evaluations: Record<string, SegmentEvaluation>;
  corrections: {
    total: number;
    segments: Record<string, { entered: number; exited: number }>;
    /** Profiles with two open stays in one segment (membership is right; two entries went). */
    doubledStays: number;
  };
}> {
  const { context, verdicts } = input;
  const disputed = new Set<string>();
  for (const verdict of verdicts.values()) {
    verdict.missing.forEach((key) => disputed.add(key));
    verdict.extra.forEach((key) => disputed.add(key));
  }
  const changes =
    disputed.size === 0
      ? []
      : await input.reconcile([...disputed].sort(), {
          runId: context.runId,
          at: input.at,
          batchOnly: true,
          store: context.store,
          // A new segment's members are each disputed: the other segments are not evaluated
          // for them (at a million people, 174,864 took 25.8 s with every segment, 13.2 with one).
          ...(input.restricted === true ? { segments: input.due.map((d) => d.id) } : {}),
        });
  context.wrote(changes.length);

  const evaluations: Record<string, SegmentEvaluation> = {};
  for (const [id, verdict] of verdicts) {
    const own = changes.filter((change) => change.segmentId === id);
    evaluations[id] = {
      ...verdict.evaluation,
      entered: own.filter((change) => change.change === 'entered').length,
      exited: own.filter((change) => change.change === 'exited').length,
    };
  }

  // A segment new, changed or deleted since its last evaluation is not streaming's miss,
  // nor is a batch-only one.
  const batchOnly = batchOnlySegments(input.due);
  const settled = new Set(
    input.due
      .filter((d) => !d.deleted && input.latest.get(d.id)?.version === d.version)
      .filter((d) => !batchOnly.has(d.id))
      .map((d) => d.id),
  );
  const corrected = input.streaming ? changes.filter((c) => settled.has(c.segmentId)) : [];
  const segments: Record<string, { entered: number; exited: number }> = {};
  corrected.forEach((change, index) => {
    const entry = (segments[change.segmentId] ??= { entered: 0, exited: 0 });
    entry[change.change]++;
    if (index < MAX_LOGGED) {
      context.logger.warn(
        { segment: change.segmentId, profile: keyOf(change), change: change.change },
        'segment membership corrected by the reconciler',
      );
    }
  });
  for (const [segment, counts] of Object.entries(segments)) {
    for (const change of ['entered', 'exited'] as const) {
      if (counts[change] > 0) {
        input.metrics?.segmentReconcileCorrections.inc({ segment, change }, counts[change]);
      }
    }
  }
  if (corrected.length > MAX_LOGGED) {
    context.logger.warn(
      { corrections: corrected.length, logged: MAX_LOGGED },
      'more segment memberships corrected than logged one by one',
    );
  }
  const doubled = input.streaming
    ? await doubledStays(
        context.store,
        input.due.filter((d) => !d.deleted).map((d) => d.id),
      )
    : [];
  doubled.slice(0, MAX_LOGGED).forEach((row) => {
    context.logger.warn(
      { segment: row.segment_id, profile: row.profile_key, stays: Number(row.stays) },
      'segment membership has more than one open stay: the profile was let in twice',
    );
  });
  return {
    evaluations,
    corrections: { total: corrected.length, segments, doubledStays: doubled.length },
  };
}
