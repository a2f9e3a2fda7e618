import { snapshotParams } from '@rapport/profiles';
import { takeFeaturesSnapshot } from '../features-snapshot.js';
import { z } from 'zod';
import { defineJob, type JobContext, type JobDefinition } from '../job.js';
import { RunStore } from '@rapport/runs';
import { isoOf, segmentIdSchema } from '@rapport/schemas';
import { StoreError, type Store } from '@rapport/store';
import { dropPartitionsExcept } from '../partitions.js';
import {
  evaluationOrder,
  readEvaluableDefinitions,
  readReconciledEvaluations,
  StatementLimits,
  StreamingSegments,
  type EvaluableDefinition,
} from '@rapport/segments';
import {
  evaluateSegment,
  SegmentEvaluationError,
  type NotifyChanges,
  type SegmentVerdict,
} from './evaluate-segment.js';
import { reconcileStep, type Reconcile, type ReconcileMetrics } from './reconcile.js';

export interface SegmentsJobOptions {
  /** An identified customer silent for this many days is in the lapsed stage. */
  lapsedAfterDays: number;
  /** Where entries and exits go (the bus and webhooks, or the outbox that feeds them). */
  notify: NotifyChanges;
  /**
   * Streaming evaluation, when it keeps membership current: the run is then its reconciler,
   * and every change it makes to a segment it evaluated before, under the same version, is a
   * correction — counted, logged and measured. Absent, the run evaluates the disputed profiles
   * itself (the same evaluation) and publishes to `notify`.
   */
  reconcile?: Reconcile;
  metrics?: ReconcileMetrics | undefined;
}

/**
 * Evaluates every segment on one snapshot of profile fields, stores membership as intervals
 * and publishes each entry and exit. Segments are evaluated after the segments their rules
 * refer to, so a rule sees this run's members of another segment.
 */
/** A segment left out of a run, and why. */
interface Skipped {
  id: string;
  reason: string;
}

/** A store that cannot be reached fails the whole run: every other segment would fail too. */
const storeDown = (error: unknown) =>
  error instanceof StoreError && (error.code === 'unavailable' || error.code === 'closed');

/** Why the rule's compiled query does not fit the store, if it does not. */
async function statementProblem(
  limits: StatementLimits,
  definition: EvaluableDefinition,
): Promise<string | undefined> {
  if (definition.rule === null) return undefined;
  try {
    const issues = await limits.issues(definition.rule);
    if (issues.length === 0) return undefined;
    return `the rule is too large for the store: ${issues.map((issue) => issue.message).join('; ')}`;
  } catch (error) {
    return `the rule cannot be compiled: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Evaluates the due segments in order. A segment that fails (its rule is too large for the
 * store, or its queries fail) is left out and reported; its latest evaluation stays the
 * previous one, and segments referring to it read that one.
 */
async function evaluateAll(input: {
  context: JobContext;
  due: readonly EvaluableDefinition[];
  at: number;
}): Promise<{ verdicts: Map<string, SegmentVerdict>; failed: Skipped[] }> {
  const { context, at } = input;
  const { store, runId, logger } = context;
  const limits = new StatementLimits(store);
  const verdicts = new Map<string, SegmentVerdict>();
  const failed: Skipped[] = [];
  for (const definition of input.due) {
    const problem = await statementProblem(limits, definition);
    if (problem !== undefined) {
      failed.push({ id: definition.id, reason: problem });
      continue;
    }
    try {
      verdicts.set(definition.id, await evaluateSegment({ store, runId, at, definition }));
    } catch (error) {
      // With the store gone the run fails: skipping the segment would hide it.
      if (!(error instanceof SegmentEvaluationError) || storeDown(error.cause)) throw error;
      failed.push({ id: definition.id, reason: `its evaluation failed: ${error.message}` });
    }
  }
  for (const { id, reason } of failed) {
    logger.error({ segment: id, reason }, 'segment not evaluated');
  }
  return { verdicts, failed };
}

/**
 * The runs whose results are still read: the latest two evaluations of each live segment that
 * found members (the latest is current, and members cursors read the one before until the
 * next run), and this run.
 */
async function resultsToKeep(store: Store, input: { runId: string; live: readonly string[] }) {
  const rows = await store.query<{ run_id: string }>(
    `SELECT DISTINCT run_id FROM
     (
         SELECT run_id, members FROM segment_evaluations
         WHERE segment_id IN {live:Array(String)}
         ORDER BY segment_id, evaluated_at DESC, run_id DESC
         LIMIT 2 BY segment_id
     )
     WHERE members > 0`,
    { live: input.live },
  );
  return [input.runId, ...rows.map((row) => row.run_id)];
}

/** Without streaming evaluation: the run evaluates the disputed profiles itself. */
function ownEvaluation(context: JobContext, options: SegmentsJobOptions): Reconcile {
  const evaluator = new StreamingSegments({
    store: context.store,
    lapsedAfterDays: options.lapsedAfterDays,
    record: options.notify,
    logger: context.logger,
  });
  return (keys, at) => evaluator.evaluate(keys, at);
}

/** The segments anyone has an open stay in. */
async function segmentsWithOpenStays(store: Store): Promise<Set<string>> {
  const rows = await store.query<{ segment_id: string }>(
    'SELECT DISTINCT segment_id FROM segment_membership FINAL WHERE exited_at IS NULL',
  );
  return new Set(rows.map((row) => row.segment_id));
}

const segmentsParams = z
  .object({
    segments: z
      .union([
        z.array(segmentIdSchema),
        // The command line's `--param segments=a,b` arrives as text.
        z.string().transform((text) => text.split(',').map((id) => id.trim())),
      ])
      .pipe(z.array(segmentIdSchema).min(1).max(1000))
      .optional()
      .describe(
        'only these segments and those whose rules refer to them (all segments when absent)',
      ),
  })
  .strict();

/**
 * The segments among `ordered` a run restricted to `wanted` evaluates: those named and every
 * segment referring to one of them, directly or not (its members may follow theirs), in
 * evaluation order. A name no segment has fails the run, naming it.
 */
function restrictTo(
  ordered: readonly EvaluableDefinition[],
  definitions: readonly EvaluableDefinition[],
  wanted: readonly string[],
): EvaluableDefinition[] {
  const known = new Set(definitions.map((definition) => definition.id));
  const unknown = wanted.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new Error(`no segment ${unknown.map((id) => `"${id}"`).join(', ')} to evaluate`);
  }
  const chosen = new Set(wanted);
  // In evaluation order a segment comes after those it refers to: one pass finds every referrer.
  return ordered.filter((definition) => {
    if (!chosen.has(definition.id) && definition.references.some((id) => chosen.has(id))) {
      chosen.add(definition.id);
    }
    return chosen.has(definition.id);
  });
}

export function createSegmentsJob(options: SegmentsJobOptions): JobDefinition {
  return defineJob({
    name: 'segments',
    description:
      'Evaluates every segment (or those `segments` names, with the segments referring to them), stores who entered and left (membership intervals) and publishes the changes',
    params: segmentsParams,
    phases: ['features', 'evaluate', 'reconcile', 'cleanup'],
    async run(context, params) {
      const { store, runId } = context;
      const runs = new RunStore(store);
      const at = Date.now();
      // What is due: every live segment, and a deleted one whose members are still open
      // (evaluated once more, as empty, to close their intervals). Evaluations of runs that did
      // not end in success do not count: their changes may not all be in membership.
      const latest = await readReconciledEvaluations(store);
      const definitions = await readEvaluableDefinitions(store);
      const { ordered, skipped } = evaluationOrder(definitions);
      // A deleted segment is due while someone is still in it (streaming evaluation may have
      // let members in after its latest evaluation).
      const stillOpen = await segmentsWithOpenStays(store);
      const wanted =
        params.segments === undefined ? ordered : restrictTo(ordered, definitions, params.segments);
      const due = wanted.filter(
        (definition) =>
          !definition.deleted ||
          (latest.get(definition.id)?.members ?? 0) > 0 ||
          stillOpen.has(definition.id),
      );

      const features = await context.phase('features', async () => {
        // Nothing to evaluate: no snapshot either (a schedule on a store without segments).
        if (due.length === 0) return { profiles: 0, computed: 0, copiedFrom: null };
        // The previous run's snapshot stays until this run is recorded (see cleanup).
        return takeFeaturesSnapshot(
          store,
          await snapshotParams(runs, { runId, now: at, lapsedAfterDays: options.lapsedAfterDays }),
        );
      });
      const { profiles } = features;

      const { verdicts, failed } = await context.phase('evaluate', async () => {
        for (const { id, reason } of skipped) {
          context.logger.warn({ segment: id, reason }, 'segment not evaluated');
        }
        return evaluateAll({ context, due, at });
      });
      const reconciled = await context.phase('reconcile', () =>
        reconcileStep({
          context,
          at,
          verdicts,
          due,
          latest,
          reconcile: options.reconcile ?? ownEvaluation(context, options),
          streaming: options.reconcile !== undefined,
          restricted: params.segments !== undefined,
          metrics: options.metrics,
        }),
      );

      await context.phase('cleanup', async () => {
        // Keep this run's features and the previous successful run's, which previews read
        // until this run is recorded as succeeded.
        const previousRun = (await runs.latestSucceeded('segments'))?.runId ?? '';
        await dropPartitionsExcept(store, {
          table: 'profile_features',
          among: await runs.runIds('segments'),
          keep: [runId, previousRun],
        });
        const live = definitions.filter((entry) => !entry.deleted).map((entry) => entry.id);
        await dropPartitionsExcept(store, {
          table: 'segment_results',
          keep: await resultsToKeep(store, { runId, live }),
        });
      });

      const left = [
        ...(params.segments === undefined
          ? skipped
          : skipped.filter(({ id }) => params.segments?.includes(id))),
        ...failed,
      ];
      return {
        computedAt: isoOf(at),
        profiles,
        // Profiles whose fields were computed; the others were copied from that run's snapshot.
        snapshot: { computed: features.computed, copiedFrom: features.copiedFrom },
        segments: reconciled.evaluations,
        corrections: reconciled.corrections,
        skipped: left,
        // Some segment due was not evaluated: its members are those of an earlier run.
        partial: left.length > 0,
      };
    },
  });
}
