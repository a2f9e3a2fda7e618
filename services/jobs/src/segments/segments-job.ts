import { snapshotParams, writeProfileSnapshot } from '@rapport/profiles';
import { z } from 'zod';
import { defineJob, type JobDefinition } from '../job.js';
import { RunStore } from '@rapport/runs';
import { isoOf } from '@rapport/schemas';
import { dropPartitionsExcept } from '../partitions.js';
import {
  evaluationOrder,
  readEvaluableDefinitions,
  readLatestEvaluations,
  type SegmentEvaluation,
} from '@rapport/segments';
import { evaluateSegment, type NotifyChanges } from './evaluate-segment.js';

export interface SegmentsJobOptions {
  /** An identified customer silent for this many days is in the lapsed stage. */
  lapsedAfterDays: number;
  /** Where entries and exits go: the bus and webhooks. */
  notify: NotifyChanges;
}

/**
 * Evaluates every segment on one snapshot of profile fields, stores membership as intervals
 * and publishes each entry and exit. Segments are evaluated after the segments their rules
 * refer to, so a rule sees this run's members of another segment.
 */
export function createSegmentsJob(options: SegmentsJobOptions): JobDefinition {
  return defineJob({
    name: 'segments',
    description:
      'Evaluates every segment, stores who entered and left (membership intervals) and publishes the changes',
    params: z.object({}).strict(),
    phases: ['features', 'evaluate', 'cleanup'],
    async run(context) {
      const { store, runId } = context;
      const runs = new RunStore(store);
      const at = Date.now();
      // What is due: every live segment, and a deleted one whose members are still open
      // (evaluated once more, as empty, to close their intervals).
      const latest = await readLatestEvaluations(store);
      const { ordered, skipped } = evaluationOrder(await readEvaluableDefinitions(store));
      const due = ordered.filter(
        (definition) => !definition.deleted || (latest.get(definition.id)?.members ?? 0) > 0,
      );

      const profiles = await context.phase('features', async () => {
        // Nothing to evaluate: no snapshot either (a schedule on a store without segments).
        if (due.length === 0) return 0;
        return writeProfileSnapshot(
          store,
          await snapshotParams(runs, {
            runId,
            now: at,
            lapsedAfterDays: options.lapsedAfterDays,
          }),
        );
      });

      const evaluations: Record<string, SegmentEvaluation> = {};
      await context.phase('evaluate', async () => {
        for (const definition of due) {
          const evaluation = await evaluateSegment({
            store,
            runId,
            at,
            definition,
            previousRun: latest.get(definition.id)?.runId ?? '',
            notify: options.notify,
          });
          context.wrote(evaluation.entered + evaluation.exited);
          evaluations[definition.id] = evaluation;
        }
        for (const { id, reason } of skipped) {
          context.logger.warn({ segment: id, reason }, 'segment not evaluated');
        }
      });

      await context.phase('cleanup', async () => {
        // Keep this run's features and the previous successful run's, which previews read
        // until this run is recorded as succeeded.
        const previousRun = (await runs.latestSucceeded('segments'))?.runId ?? '';
        await dropPartitionsExcept(store, {
          table: 'profile_features',
          among: await runs.runIds('segments'),
          keep: [runId, previousRun],
        });
        // Results still read: the latest of each segment, unless empty (nothing to read or
        // compare with; a segment deleted and closed is empty for good).
        const current = [...(await readLatestEvaluations(store)).values()]
          .filter((evaluation) => evaluation.members > 0)
          .map((evaluation) => evaluation.runId);
        await dropPartitionsExcept(store, {
          table: 'segment_results',
          keep: [runId, ...new Set(current)],
        });
      });

      return {
        computedAt: isoOf(at),
        profiles,
        segments: evaluations,
        skipped,
      };
    },
  });
}
