import {
  compileRule,
  matchingProfilesSql,
  type EvaluableDefinition,
  type SegmentEvaluation,
} from '@rapport/segments';
import type { SegmentChange } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import {
  DISAGREEMENTS_SQL,
  INSERT_EVALUATION_SQL,
  insertResultsSql,
  MEMBERS_SQL,
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

interface EvaluationInput {
  store: Store;
  runId: string;
  at: number;
  definition: EvaluableDefinition;
}

/** A segment's evaluation in a run, and the profiles whose membership it disputes. */
export interface SegmentVerdict {
  evaluation: SegmentEvaluation;
  /** Found by the rule without an open interval. */
  missing: string[];
  /** With an open interval the rule does not find. */
  extra: string[];
}

/**
 * Evaluates one segment in a run: stores its members, compares them with the open membership
 * intervals and records the evaluation (from then on its results are current, and segments
 * referring to it read them). A deleted segment is evaluated as empty, so every profile still
 * in it is disputed. The disputed profiles are checked again and corrected afterwards.
 *
 * @throws SegmentEvaluationError when it fails before the evaluation is recorded: its rows of
 *   this run are then never read (readers follow recorded evaluations).
 */
export async function evaluateSegment(input: EvaluationInput): Promise<SegmentVerdict> {
  const { store, runId, at, definition } = input;
  const params = { runId, at, segmentId: definition.id, version: definition.version };
  try {
    const started = performance.now();
    if (definition.rule !== null) {
      const compiled = compileRule(definition.rule, { now: at });
      await store.command(insertResultsSql(matchingProfilesSql(compiled.where, 'snapshot')), {
        ...compiled.params,
        ...params,
        featuresRun: runId,
      });
    }
    const [counted] = await store.query<{ members: number }>(MEMBERS_SQL, params);
    const members = Number(counted?.members ?? 0);
    const disputed = await store.query<{ profile_key: string; side: string }>(
      DISAGREEMENTS_SQL,
      params,
    );
    const missing = disputed.filter((row) => row.side === 'missing').map((row) => row.profile_key);
    const extra = disputed.filter((row) => row.side === 'extra').map((row) => row.profile_key);
    const seconds = (performance.now() - started) / 1000;
    const entered = missing.length;
    const exited = extra.length;
    await store.command(INSERT_EVALUATION_SQL, { ...params, members, entered, exited, seconds });
    return {
      evaluation: {
        runId,
        version: definition.version,
        members,
        entered,
        exited,
        evaluatedAt: at,
        seconds,
      },
      missing,
      extra,
    };
  } catch (error) {
    throw new SegmentEvaluationError(definition.id, { cause: error });
  }
}
