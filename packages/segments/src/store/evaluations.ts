import { isoOf } from '@rapport/schemas';
import type { Store } from '@rapport/store';

/**
 * A run's evaluation of one segment: the definition version it evaluated, its members, who
 * entered and exited since the segment's previous evaluation, and how long it took.
 */
export interface SegmentEvaluation {
  runId: string;
  version: number;
  members: number;
  entered: number;
  exited: number;
  /** When the run evaluated the segment (epoch ms). */
  evaluatedAt: number;
  seconds: number;
}

interface EvaluationRow {
  segment_id: string;
  run_id: string;
  version: number;
  evaluated_at: number;
  members: number;
  entered: number;
  exited: number;
  seconds: number;
}

const COLUMNS = `segment_id, run_id, version, toUnixTimestamp64Milli(evaluated_at) AS evaluated_at,
                 members, entered, exited, seconds`;

const toEvaluation = (row: EvaluationRow): SegmentEvaluation => ({
  runId: row.run_id,
  version: Number(row.version),
  members: Number(row.members),
  entered: Number(row.entered),
  exited: Number(row.exited),
  evaluatedAt: Number(row.evaluated_at),
  seconds: Number(row.seconds),
});

/**
 * SQL: the run of a segment's latest evaluation, the one whose results are current. "Latest"
 * means latest evaluated, ties broken by the greater run id, here and in every reader below.
 */
export function latestEvaluationRunSql(segmentIdSql: string): string {
  return `(SELECT argMax(run_id, (evaluated_at, run_id)) FROM segment_evaluations WHERE segment_id = ${segmentIdSql})`;
}

/**
 * The latest evaluation of each of these segments (all of them when `ids` is absent): the
 * latest by evaluation time, ties broken by the greater run id. Its results are current.
 */
export async function readLatestEvaluations(
  store: Store,
  ids?: readonly string[],
): Promise<Map<string, SegmentEvaluation>> {
  const rows = await store.query<EvaluationRow>(
    `SELECT ${COLUMNS} FROM segment_evaluations
     ${ids === undefined ? '' : 'WHERE segment_id IN {ids:Array(String)}'}
     ORDER BY segment_id, evaluated_at DESC, run_id DESC
     LIMIT 1 BY segment_id`,
    ids === undefined ? {} : { ids },
  );
  return new Map(rows.map((row) => [row.segment_id, toEvaluation(row)]));
}

/**
 * The latest evaluation of each segment by a segments run that succeeded: one whose reconcile
 * step wrote to membership the entries and exits the evaluation found. A run that ended
 * otherwise after evaluating (cancelled by a stop, its process killed) recorded evaluations
 * whose changes may not all be in membership: for the runs after it, such a segment has not
 * been evaluated at that version yet (its saved version is due, and what a later run enters or
 * lets out is not streaming evaluation's miss).
 */
export async function readReconciledEvaluations(
  store: Store,
): Promise<Map<string, SegmentEvaluation>> {
  const rows = await store.query<EvaluationRow>(
    `SELECT ${COLUMNS} FROM segment_evaluations
     WHERE run_id IN (
         SELECT run_id FROM job_runs FINAL WHERE job = 'segments' AND status = 'succeeded')
     ORDER BY segment_id, evaluated_at DESC, run_id DESC
     LIMIT 1 BY segment_id`,
  );
  return new Map(rows.map((row) => [row.segment_id, toEvaluation(row)]));
}

/** The evaluation of a segment by one run, if that run evaluated it. */
export async function readEvaluation(
  store: Store,
  input: { segmentId: string; runId: string },
): Promise<SegmentEvaluation | undefined> {
  const [row] = await store.query<EvaluationRow>(
    `SELECT ${COLUMNS} FROM segment_evaluations
     WHERE segment_id = {segmentId:String} AND run_id = {runId:String}
     ORDER BY evaluated_at DESC, run_id DESC LIMIT 1`,
    input,
  );
  return row && toEvaluation(row);
}

/** The evaluation as the API shows it. */
export const evaluationAnswer = (evaluation: SegmentEvaluation) => ({
  runId: evaluation.runId,
  version: evaluation.version,
  members: evaluation.members,
  entered: evaluation.entered,
  exited: evaluation.exited,
  computedAt: isoOf(evaluation.evaluatedAt),
});
