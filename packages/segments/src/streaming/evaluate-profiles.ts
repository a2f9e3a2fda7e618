import { parseProfileKey, scopeParams, type LinkedScope } from '@rapport/profiles';
import { isoOf, type SegmentChange, type SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { compileRule, type CompiledRule } from '../compile-rule.js';
import { EventCounts } from '../event-counts.js';
import { profileVerdictsSql } from '../matching-profiles-sql.js';
import type { EvaluableDefinition } from '../store/evaluation-order.js';
import { CHANGE_PAIRS_SQL, OPEN_MEMBERSHIPS_SQL } from './membership-sql.js';

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
  /**
   * The anonymous ids ever linked to customers among the keys (linkedScope), so that they are
   * not read again; those of a customer it does not hold are.
   */
  linked?: LinkedScope['linked'];
  /** Told the milliseconds of each phase: the scope's links, memberships, verdicts, writes. */
  time?: (phase: 'scope' | 'memberships' | 'verdicts' | 'writes', ms: number) => void;
  /** The verdicts on one thread (profileVerdictsSql's `oneThread`); default false. */
  oneThread?: boolean;
  /** The verdicts' nice value (profileVerdictsSql's `nice`); default 0. */
  nice?: number;
}

/** A segment whose evaluation failed for some profiles, with why. */
export interface HeldSegment {
  segmentId: string;
  error: unknown;
}

/** SQL text one query of several rules may take, well within max_query_size (256 KiB). */
const GROUP_SQL_BYTES = 160_000;

/** A rule with the rules of the segments it refers to compiled in place, at most. */
const INLINED_SQL_BYTES = 32_000;

/**
 * The segments whose references can be compiled in place (compileRule's `inline`): every
 * segment they refer to, directly or not, is evaluated here too, and the whole stays small.
 * Returns the rule to put in place of each segment so referred to.
 */
function inlinable(input: EvaluateProfilesInput): {
  inlined: Set<string>;
  ruleOf: (segmentId: string) => SegmentRule | undefined;
} {
  const rules = new Map<string, SegmentRule>();
  for (const definition of input.ordered) {
    if (!definition.deleted && definition.rule !== null) rules.set(definition.id, definition.rule);
  }
  const ruleOf = (segmentId: string) => rules.get(segmentId);
  const inlined = new Set<string>();
  // In evaluation order: a segment's references come before it.
  for (const definition of input.ordered) {
    if (definition.rule === null || definition.references.length === 0) continue;
    const whole = definition.references.every(
      (id) =>
        rules.has(id) &&
        (inlined.has(id) || input.ordered.find((d) => d.id === id)?.references.length === 0),
    );
    if (!whole) continue;
    const { where } = compileRule(definition.rule, {
      now: input.at,
      scoped: true,
      inline: ruleOf,
    });
    if (where.length <= INLINED_SQL_BYTES) inlined.add(definition.id);
  }
  return { inlined, ruleOf };
}

/**
 * Segments in levels: a segment comes in the level after the deepest segment it refers to,
 * so that every segment of a level can be evaluated in one query once the levels before are
 * written; one whose references are compiled in place comes in the first.
 */
function levelsOf(
  ordered: readonly EvaluableDefinition[],
  inlined: ReadonlySet<string>,
): EvaluableDefinition[][] {
  const level = new Map<string, number>();
  const levels: EvaluableDefinition[][] = [];
  for (const definition of ordered) {
    const depth = inlined.has(definition.id)
      ? 0
      : Math.max(-1, ...definition.references.map((id) => level.get(id) ?? -1)) + 1;
    level.set(definition.id, depth);
    (levels[depth] ??= []).push(definition);
  }
  return levels;
}

/** How a definition's rule is compiled here: scoped, its references in place if so decided. */
function compileFor(
  input: EvaluateProfilesInput & { inline: ReturnType<typeof inlinable> },
  definition: EvaluableDefinition & { rule: SegmentRule },
  options: { paramPrefix?: string; counts?: EventCounts } = {},
) {
  return compileRule(definition.rule, {
    now: input.at,
    scoped: true,
    ...options,
    ...(input.inline.inlined.has(definition.id) ? { inline: input.inline.ruleOf } : {}),
  });
}

type Evaluation = EvaluateProfilesInput & {
  inline: ReturnType<typeof inlinable>;
  /** The profile rows' parameters, the scope's keys among them (see scopeParams). */
  rowParams: Record<string, unknown>;
};

/** The profile rows' parameters for an evaluation of these keys: their links read if not given. */
async function rowParamsOf(
  input: Pick<EvaluateProfilesInput, 'store' | 'keys' | 'at' | 'profile' | 'linked'>,
) {
  return {
    ...input.profile,
    runId: '',
    now: input.at,
    ...(await scopeParams(input.store, input.keys, undefined, input.linked)),
  };
}

/** One statement of rules compiled with `counts`: the members of each among the keys. */
async function verdicts(
  input: Evaluation,
  rules: readonly ({ id: string } & CompiledRule)[],
  counts: EventCounts,
  found: Map<string, Set<string>>,
): Promise<void> {
  const sql = profileVerdictsSql(
    rules.map((rule) => rule.where),
    counts.sql(),
    { oneThread: input.oneThread === true, nice: input.nice ?? 0 },
  );
  const params: Record<string, unknown> = { ...input.rowParams };
  for (const rule of rules) Object.assign(params, rule.params);
  const rows = await input.store.query<Record<string, unknown>>(sql, params);
  for (const row of rows) {
    rules.forEach((rule, i) => {
      if (Number(row[`v${i}`]) !== 1) return;
      const members = found.get(rule.id) ?? new Set<string>();
      members.add(String(row.profile_key));
      found.set(rule.id, members);
    });
  }
}

/** The members of one segment among the keys, by the rule the segments job compiles. */
async function matchingOne(input: Evaluation, definition: EvaluableDefinition) {
  const found = new Map<string, Set<string>>();
  if (definition.deleted || definition.rule === null) return new Set<string>();
  const counts = new EventCounts();
  const compiled = compileFor(input, { ...definition, rule: definition.rule }, { counts });
  await verdicts(input, [{ id: definition.id, ...compiled }], counts, found);
  return found.get(definition.id) ?? new Set<string>();
}

/**
 * The members of several segments among the keys in as few queries as fit: each rule is the
 * one the segments job compiles, a column of one select over the profiles' rows, and the
 * rules of a query share one read of the profiles' events (EventCounts).
 */
async function matchingMany(
  input: Evaluation,
  definitions: readonly EvaluableDefinition[],
): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>(definitions.map((d) => [d.id, new Set<string>()]));
  let counts = new EventCounts();
  let group: ({ id: string } & CompiledRule)[] = [];
  let bytes = 0;
  const run = async () => {
    if (group.length > 0) await verdicts(input, group, counts, found);
    counts = new EventCounts();
    group = [];
    bytes = 0;
  };
  for (const [i, definition] of definitions.entries()) {
    if (definition.deleted || definition.rule === null) continue;
    const rule = { ...definition, rule: definition.rule };
    const paramPrefix = `s${i}_`;
    // Its size alone, its counts' share included (an overestimate: they share one read).
    const alone = new EventCounts();
    const size =
      compileFor(input, rule, { paramPrefix, counts: alone }).where.length +
      (alone.sql()?.length ?? 0);
    if (group.length > 0 && bytes + size > GROUP_SQL_BYTES) await run();
    group.push({ id: definition.id, ...compileFor(input, rule, { paramPrefix, counts }) });
    bytes += size;
  }
  await run();
  return found;
}

/**
 * The members among the keys of each of these segments, evaluated now and written nowhere
 * (live reads): in as few statements as fit, a segment referred to read from membership.
 */
export async function evaluateSegments(
  input: Pick<EvaluateProfilesInput, 'store' | 'keys' | 'at' | 'profile'> & {
    definitions: readonly EvaluableDefinition[];
  },
): Promise<Map<string, Set<string>>> {
  const evaluation: Evaluation = {
    ...input,
    ordered: input.definitions,
    runId: '',
    inline: { inlined: new Set(), ruleOf: () => undefined },
    rowParams: await rowParamsOf(input),
  };
  return matchingMany(evaluation, input.definitions);
}

/**
 * The members of each segment of a level: in one query, or when that fails each alone; one
 * that fails alone is put in `blocked` and `held`.
 */
async function verdictsOf(
  evaluation: Evaluation,
  due: readonly EvaluableDefinition[],
  failed: { blocked: Set<string>; held: HeldSegment[] },
): Promise<Map<string, Set<string>>> {
  try {
    return await matchingMany(evaluation, due);
  } catch {
    const members = new Map<string, Set<string>>();
    for (const definition of due) {
      try {
        members.set(definition.id, await matchingOne(evaluation, definition));
      } catch (error) {
        failed.blocked.add(definition.id);
        failed.held.push({ segmentId: definition.id, error });
      }
    }
    return members;
  }
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

/** Every segment's open intervals among the keys. */
async function openMemberships(input: EvaluateProfilesInput): Promise<Map<string, Set<string>>> {
  const rows = await input.store.query<{ segment_id: string; profile_key: string }>(
    OPEN_MEMBERSHIPS_SQL,
    { keys: input.keys },
  );
  const open = new Map<string, Set<string>>();
  for (const row of rows) {
    const set = open.get(row.segment_id) ?? new Set<string>();
    set.add(row.profile_key);
    open.set(row.segment_id, set);
  }
  return open;
}

/** Writes the exits and the entries of one level: one insert. */
async function writeLevel(
  input: EvaluateProfilesInput,
  level: { definition: EvaluableDefinition; entered: string[]; exited: string[] }[],
): Promise<void> {
  const pairs = (side: 'entered' | 'exited') => {
    const segments: string[] = [];
    const profiles: string[] = [];
    for (const entry of level) {
      for (const key of entry[side]) {
        segments.push(entry.definition.id);
        profiles.push(key);
      }
    }
    return { segments, profiles };
  };
  const exits = pairs('exited');
  const entries = pairs('entered');
  if (exits.segments.length + entries.segments.length === 0) return;
  // Not on the write lane: that one is the batch writer's, and ingest would wait behind it.
  await input.store.command(
    CHANGE_PAIRS_SQL,
    {
      runId: input.runId,
      at: input.at,
      versions: Object.fromEntries(level.map(({ definition: d }) => [d.id, d.version])),
      exitSegments: exits.segments,
      exitProfiles: exits.profiles,
      entrySegments: entries.segments,
      entryProfiles: entries.profiles,
    },
    'read',
  );
}

/**
 * Evaluates every segment for a few profiles with the rule the segments job compiles,
 * restricted to those profiles, compares with their open intervals and writes the entries and
 * exits as intervals; returns them in the order written (by segment, exits first). Segments
 * are evaluated in levels, each after the segments it refers to, which it reads from the
 * intervals just written; the segments of a level share one query. When that query fails, each
 * is evaluated alone: one that fails is returned, and so is every segment referring to it
 * (left unevaluated: it would read stale membership); the others go on.
 */
export async function evaluateProfiles(
  input: EvaluateProfilesInput,
): Promise<{ changes: SegmentChange[]; held: HeldSegment[]; writeFailed: boolean }> {
  let writeFailed = false;
  const held: HeldSegment[] = [];
  const changes: SegmentChange[] = [];
  const blocked = new Set(input.held ?? []);
  const timed = async <T>(
    phase: 'scope' | 'memberships' | 'verdicts' | 'writes',
    work: Promise<T>,
  ) => {
    const started = performance.now();
    try {
      return await work;
    } finally {
      input.time?.(phase, performance.now() - started);
    }
  };
  // Read beside the first level's verdicts; awaited (and so its failure thrown) after them.
  const opening = timed('memberships', openMemberships(input));
  opening.catch(() => undefined);
  const evaluation: Evaluation = {
    ...input,
    inline: inlinable(input),
    rowParams: await timed('scope', rowParamsOf(input)),
  };
  for (const level of levelsOf(input.ordered, evaluation.inline.inlined)) {
    const due = level.filter((definition) => {
      if (blocked.has(definition.id) || definition.references.some((id) => blocked.has(id))) {
        blocked.add(definition.id);
        held.push({ segmentId: definition.id, error: new Error('a segment it refers to failed') });
        return false;
      }
      return true;
    });
    const members = await timed('verdicts', verdictsOf(evaluation, due, { blocked, held }));
    const open = await opening;
    const written = due.flatMap((definition) => {
      const now = members.get(definition.id);
      if (now === undefined) return [];
      const wasIn = open.get(definition.id) ?? new Set<string>();
      const exited = [...wasIn].filter((key) => !now.has(key)).sort();
      const entered = [...now].filter((key) => !wasIn.has(key)).sort();
      return [{ definition, entered, exited }];
    });
    try {
      await timed('writes', writeLevel(input, written));
    } catch (error) {
      // Exits may be written and entries not: all of the level is evaluated again, and what
      // was written without being returned is found by the outbox's recovery.
      writeFailed = true;
      for (const { definition } of written) {
        blocked.add(definition.id);
        held.push({ segmentId: definition.id, error });
      }
      continue;
    }
    for (const { definition, entered, exited } of written) {
      // One by one: a reconcile's chunk can let in more than a call takes arguments.
      for (const change of changesOf(input, definition, 'exited', exited)) changes.push(change);
      for (const change of changesOf(input, definition, 'entered', entered)) changes.push(change);
    }
  }
  return { changes, held, writeFailed };
}
