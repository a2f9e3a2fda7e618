import { featuresInsertSql, lapsedMs } from '@rapport/segments';
import { z } from 'zod';
import { defineJob, type JobDefinition } from '../job.js';
import { latestSucceededRun } from '../latest-run.js';
import { dropPartitionsExcept } from '../partitions.js';
import { evaluationOrder, readDefinitions } from './definitions.js';
import { evaluateSegment, type Evaluation, type NotifyChanges } from './evaluate-segment.js';
import { LATEST_EVALUATIONS_SQL } from './membership-sql.js';

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
      const at = Date.now();
      // What is due: every live segment, and a deleted one whose members are still open
      // (evaluated once more, as empty, to close their intervals).
      const latest = new Map(
        (
          await store.query<{ segment_id: string; latest_run: string; latest_members: number }>(
            LATEST_EVALUATIONS_SQL,
          )
        ).map((row) => [
          row.segment_id,
          { runId: row.latest_run, members: Number(row.latest_members) },
        ]),
      );
      const { ordered, skipped } = evaluationOrder(await readDefinitions(store));
      const due = ordered.filter(
        (definition) => !definition.deleted || (latest.get(definition.id)?.members ?? 0) > 0,
      );

      const profiles = await context.phase('features', async () => {
        // Nothing to evaluate: no snapshot either (a schedule on a store without segments).
        if (due.length === 0) return 0;
        const [rfmRun, clvRun, clustersRun] = await Promise.all(
          ['rfm', 'clv', 'clusters'].map((job) => latestSucceededRun(store, job)),
        );
        await store.command(featuresInsertSql(), {
          runId,
          now: at,
          lapsedMs: lapsedMs(options.lapsedAfterDays),
          rfmRun,
          clvRun,
          clustersRun,
        });
        const [row] = await store.query<{ n: number }>(
          'SELECT count() AS n FROM profile_features WHERE run_id = {runId:String}',
          { runId },
        );
        return Number(row?.n ?? 0);
      });

      const evaluations: Record<string, Evaluation> = {};
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
        const previousRun = await latestSucceededRun(store, 'segments');
        const segmentsRuns = await store.query<{ run_id: string }>(
          "SELECT DISTINCT run_id FROM job_runs WHERE job = 'segments'",
        );
        await dropPartitionsExcept(store, {
          table: 'profile_features',
          among: segmentsRuns.map((row) => row.run_id),
          keep: [runId, previousRun],
        });
        // Results still read: the latest of each segment, unless empty (nothing to read or
        // compare with; a segment deleted and closed is empty for good).
        const current = await store.query<{ latest_run: string }>(
          `SELECT DISTINCT latest_run FROM (${LATEST_EVALUATIONS_SQL}) WHERE latest_members > 0`,
        );
        await dropPartitionsExcept(store, {
          table: 'segment_results',
          keep: [runId, ...current.map((row) => row.latest_run)],
        });
      });

      return {
        computedAt: new Date(at).toISOString(),
        profiles,
        segments: evaluations,
        skipped,
      };
    },
  });
}
