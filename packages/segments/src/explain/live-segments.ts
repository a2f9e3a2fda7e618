import type { Store } from '@rapport/store';
import { evaluationOrder, readEvaluableDefinitions } from '../store/evaluation-order.js';
import { evaluateSegments, type ProfileRowParams } from '../streaming/evaluate-profiles.js';

/** One segment's verdict for a profile, evaluated on the spot. */
export interface LiveVerdict {
  id: string;
  name: string;
  version: number;
  member: boolean;
}

/**
 * Evaluates every live segment for one profile now, with the rule the segments job compiles
 * restricted to the profile, in one statement (as streaming evaluation does); nothing is
 * written. Segments referred to are read from current membership. Segments that cannot be
 * evaluated (a cycle, an invalid stored rule) are left out.
 */
export async function liveSegments(input: {
  store: Store;
  profileKey: string;
  at: number;
  profile: ProfileRowParams;
}): Promise<LiveVerdict[]> {
  const live = await evaluableSegments(input.store);
  const members = await evaluateSegments({
    store: input.store,
    keys: [input.profileKey],
    at: input.at,
    profile: input.profile,
    definitions: live,
  });
  return live
    .map((definition) => ({
      id: definition.id,
      name: definition.name,
      version: definition.version,
      member: members.get(definition.id)?.has(input.profileKey) === true,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The segments liveSegments evaluates, in evaluation order. */
async function evaluableSegments(store: Store) {
  const { ordered } = evaluationOrder(await readEvaluableDefinitions(store));
  return ordered.filter((definition) => !definition.deleted && definition.rule !== null);
}

/**
 * The segments of those liveSegments lists whose membership of the profile is open now (as
 * streaming evaluation and the job keep it), sorted by id; nothing is evaluated.
 */
export async function memberSegments(input: {
  store: Store;
  profileKey: string;
}): Promise<LiveVerdict[]> {
  const [listed, open] = await Promise.all([
    evaluableSegments(input.store),
    input.store.query<{ segment_id: string }>(
      `SELECT DISTINCT segment_id FROM segment_membership FINAL
       WHERE profile_key = {key:String} AND exited_at IS NULL`,
      { key: input.profileKey },
    ),
  ]);
  const member = new Set(open.map((row) => row.segment_id));
  return listed
    .filter((definition) => member.has(definition.id))
    .map((definition) => ({
      id: definition.id,
      name: definition.name,
      version: definition.version,
      member: true,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
