import { parseProfileKey } from '@rapport/profiles';
import { isoOf, type SegmentChange } from '@rapport/schemas';
import {
  compileRule,
  matchingProfilesSql,
  type EvaluableDefinition,
  type SegmentEvaluation,
} from '@rapport/segments';
import type { Store } from '@rapport/store';
import {
  changesPageSql,
  COUNTS_SQL,
  INSERT_ENTRIES_SQL,
  INSERT_EVALUATION_SQL,
  INSERT_EXITS_SQL,
  insertResultsSql,
} from './membership-sql.js';

/**
 * A segment whose evaluation failed before it was recorded: nothing of it is current (its
 * latest evaluation is still the previous one), so the run can go on without it.
 */
export class SegmentEvaluationError extends Error {
  override readonly name = 'SegmentEvaluationError';
  constructor(
    readonly segmentId: string,
    options: { cause: unknown },
  ) {
    const cause = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`segment "${segmentId}" could not be evaluated: ${cause}`, options);
  }
}

/** Receives entries and exits, a page at a time and in order; resolves once they are handed over. */
export type NotifyChanges = (changes: readonly SegmentChange[]) => Promise<void>;

const PAGE = 10_000;

interface EvaluationInput {
  store: Store;
  runId: string;
  at: number;
  definition: EvaluableDefinition;
  previousRun: string;
  notify: NotifyChanges;
}

/**
 * Evaluates one segment in a run: stores its members, writes the entries and exits as
 * membership intervals, records the evaluation (from then on the results are current), then
 * hands the changes to `notify`. A deleted segment is evaluated as empty, which closes the
 * intervals still open.
 *
 * @throws SegmentEvaluationError when it fails before the evaluation is recorded: its rows of
 *   this run are then never read (readers follow recorded evaluations), and intervals written
 *   already are not opened or closed twice by the next run (see membership-sql.ts).
 */
export async function evaluateSegment(input: EvaluationInput): Promise<SegmentEvaluation> {
  const { runId, at, definition, previousRun } = input;
  const params = { runId, at, previousRun, segmentId: definition.id, version: definition.version };
  let evaluation: SegmentEvaluation;
  try {
    evaluation = await recordEvaluation({ ...input, params });
  } catch (error) {
    throw new SegmentEvaluationError(definition.id, { cause: error });
  }
  await notifyChanges({ ...input, params, evaluation });
  return evaluation;
}

type Params = Record<string, unknown>;

/** Members, intervals and the evaluation's record, up to the moment it becomes current. */
async function recordEvaluation(
  input: EvaluationInput & { params: Params },
): Promise<SegmentEvaluation> {
  const { store, runId, at, definition, params } = input;
  const started = performance.now();
  if (definition.rule !== null) {
    const compiled = compileRule(definition.rule, { now: at });
    await store.command(insertResultsSql(matchingProfilesSql(compiled.where, 'snapshot')), {
      ...compiled.params,
      ...params,
      featuresRun: runId,
    });
  }
  const [counts] = await store.query<{ members: number; entered: number; exited: number }>(
    COUNTS_SQL,
    params,
  );
  const members = Number(counts?.members ?? 0);
  const entered = Number(counts?.entered ?? 0);
  const exited = Number(counts?.exited ?? 0);
  if (exited > 0) await store.command(INSERT_EXITS_SQL, params);
  if (entered > 0) await store.command(INSERT_ENTRIES_SQL, params);
  const seconds = (performance.now() - started) / 1000;
  await store.command(INSERT_EVALUATION_SQL, { ...params, members, entered, exited, seconds });
  return { runId, version: definition.version, members, entered, exited, evaluatedAt: at, seconds };
}

/** Hands the entries and exits of a recorded evaluation to `notify`, a page at a time. */
async function notifyChanges(
  input: EvaluationInput & { params: Params; evaluation: SegmentEvaluation },
): Promise<void> {
  const { store, runId, at, definition, params } = input;
  const { entered, exited } = input.evaluation;
  for (const [change, count] of [
    ['exited', exited],
    ['entered', entered],
  ] as const) {
    if (count === 0) continue;
    let after = '';
    for (;;) {
      const rows = await store.query<{ profile_key: string }>(changesPageSql(change), {
        ...params,
        after,
        limit: PAGE,
      });
      if (rows.length === 0) break;
      await input.notify(
        rows.map((row) => ({
          id: `${runId}:${definition.id}:${row.profile_key}`,
          segmentId: definition.id,
          segmentName: definition.name,
          version: definition.version,
          change,
          ...parseProfileKey(row.profile_key),
          at: isoOf(at),
          runId,
        })),
      );
      after = rows[rows.length - 1]!.profile_key;
      if (rows.length < PAGE) break;
    }
  }
}
