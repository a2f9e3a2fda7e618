import { parseProfileKey } from '@rapport/profiles';
import { isoOf, type SegmentChange } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { compileRule } from '../compile-rule.js';
import { matchingProfilesSql } from '../matching-profiles-sql.js';
import type { EvaluableDefinition } from '../store/evaluation-order.js';
import { CLOSE_INTERVALS_SQL, OPEN_INTERVALS_SQL, OPEN_MEMBERS_SQL } from './membership-sql.js';

/** The profile rows' parameters besides the time (see profileRowsSql). */
export interface ProfileRowParams {
  lapsedMs: number;
  rfmRun: string;
  clvRun: string;
  clustersRun: string;
}

export interface EvaluateProfilesInput {
  store: Store;
  /** Profile keys, few enough for one query's parameter (see chunkForUrl). */
  keys: readonly string[];
  /** Every segment to evaluate, each after the segments it refers to (evaluationOrder). */
  ordered: readonly EvaluableDefinition[];
  /** Segments not to evaluate for these keys (a segment they refer to failed). */
  held?: ReadonlySet<string>;
  at: number;
  runId: string;
  profile: ProfileRowParams;
}

/** A segment whose evaluation failed for some profiles, with why. */
export interface HeldSegment {
  segmentId: string;
  error: unknown;
}

/** The members of one segment among the keys, by the rule the segments job compiles. */
async function matching(input: EvaluateProfilesInput, definition: EvaluableDefinition) {
  if (definition.deleted || definition.rule === null) return new Set<string>();
  const compiled = compileRule(definition.rule, { now: input.at, scoped: true });
  const rows = await input.store.query<{ profile_key: string }>(
    matchingProfilesSql(compiled.where, 'live', { scoped: true }),
    {
      ...compiled.params,
      ...input.profile,
      runId: '',
      now: input.at,
      scope_keys: input.keys,
    },
  );
  return new Set(rows.map((row) => row.profile_key));
}

function changesOf(
  input: EvaluateProfilesInput,
  definition: EvaluableDefinition,
  change: 'entered' | 'exited',
  keys: readonly string[],
): SegmentChange[] {
  return keys.map((key) => ({
    id: `${input.runId}:${definition.id}:${key}`,
    segmentId: definition.id,
    segmentName: definition.name,
    version: definition.version,
    change,
    ...parseProfileKey(key),
    at: isoOf(input.at),
    runId: input.runId,
  }));
}

/** Evaluates one segment for the keys: writes its exits then entries; returns them. */
async function evaluateSegmentFor(
  input: EvaluateProfilesInput,
  definition: EvaluableDefinition,
): Promise<SegmentChange[]> {
  const { store } = input;
  const members = await matching(input, definition);
  const params = {
    segmentId: definition.id,
    version: definition.version,
    runId: input.runId,
    at: input.at,
  };
  const open = await store.query<{ profile_key: string }>(OPEN_MEMBERS_SQL, {
    ...params,
    keys: input.keys,
  });
  const wasIn = new Set(open.map((row) => row.profile_key));
  const exited = [...wasIn].filter((key) => !members.has(key)).sort();
  const entered = [...members].filter((key) => !wasIn.has(key)).sort();
  if (exited.length > 0) await store.command(CLOSE_INTERVALS_SQL, { ...params, keys: exited });
  if (entered.length > 0) await store.command(OPEN_INTERVALS_SQL, { ...params, keys: entered });
  return [
    ...changesOf(input, definition, 'exited', exited),
    ...changesOf(input, definition, 'entered', entered),
  ];
}

/**
 * Evaluates every segment for a few profiles with the rule the segments job compiles,
 * restricted to those profiles, compares with their open intervals and writes the entries and
 * exits as intervals, returned in the order written. A segment is evaluated after those it refers to, which read the
 * intervals just written. A segment that fails is returned, and so is every segment referring
 * to it (left unevaluated: it would read stale membership); the others go on.
 */
export async function evaluateProfiles(
  input: EvaluateProfilesInput,
): Promise<{ changes: SegmentChange[]; held: HeldSegment[] }> {
  const held: HeldSegment[] = [];
  const changes: SegmentChange[] = [];
  const blocked = new Set(input.held ?? []);
  for (const definition of input.ordered) {
    if (blocked.has(definition.id) || definition.references.some((id) => blocked.has(id))) {
      blocked.add(definition.id);
      held.push({ segmentId: definition.id, error: new Error('a segment it refers to failed') });
      continue;
    }
    try {
      changes.push(...(await evaluateSegmentFor(input, definition)));
    } catch (error) {
      blocked.add(definition.id);
      held.push({ segmentId: definition.id, error });
    }
  }
  return { changes, held };
}
