import { HttpError } from '@rapport/http';
import { parseProfileKey } from '@rapport/profiles';
import { isoOf } from '@rapport/schemas';
import { readEvaluation, readLatestEvaluations, type SegmentEvaluation } from '@rapport/segments';
import type { Store } from '@rapport/store';
import { decodeCursor, encodeCursor } from './member-cursor.js';
import { readMembers, resultsExist } from './members-query.js';

export interface MembersPage {
  segmentId: string;
  version: number;
  runId: string;
  computedAt: string;
  members: { customerId: string | null; anonymousId: string | null; since: string | null }[];
  next: string | null;
}

const notEvaluated = (segmentId: string) =>
  new HttpError(
    409,
    `segment "${segmentId}" has not been evaluated yet; run the segments job ` +
      '(POST /v1/jobs/segments/runs) or wait for its schedule',
  );

const gone = () =>
  new HttpError(
    410,
    'the run this cursor reads has been replaced and its results dropped; start again without a cursor',
  );

/** The latest evaluation of a segment; 409 before the first one. */
export async function latestEvaluation(
  store: Store,
  segmentId: string,
): Promise<SegmentEvaluation> {
  const evaluation = (await readLatestEvaluations(store, [segmentId])).get(segmentId);
  if (!evaluation) throw notEvaluated(segmentId);
  return evaluation;
}

/**
 * The evaluation a members request reads: the latest, or the one a cursor is pinned to as
 * long as its results are stored (410 once they are dropped).
 */
export async function evaluationFor(
  store: Store,
  input: { segmentId: string; cursor?: string | undefined },
): Promise<{ evaluation: SegmentEvaluation; after: string }> {
  const { segmentId } = input;
  if (input.cursor === undefined) {
    return { evaluation: await latestEvaluation(store, segmentId), after: '' };
  }
  const cursor = decodeCursor(input.cursor);
  const [evaluation, stored] = await Promise.all([
    readEvaluation(store, { segmentId, runId: cursor.runId }),
    resultsExist(store, { segmentId, runId: cursor.runId }),
  ]);
  // A cursor is only given while more members follow, so its run has results.
  if (!evaluation || !stored) throw gone();
  return { evaluation, after: cursor.after };
}

/** One page of the members of a segment's latest evaluation, in profile key order. */
export async function readMembersPage(
  store: Store,
  input: { segmentId: string; limit: number; cursor?: string | undefined },
): Promise<MembersPage> {
  const { segmentId, limit } = input;
  const { evaluation, after } = await evaluationFor(store, input);
  // One more than asked tells whether another page follows.
  const rows = await readMembers(store, {
    segmentId,
    runId: evaluation.runId,
    after,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    segmentId,
    version: evaluation.version,
    runId: evaluation.runId,
    computedAt: isoOf(evaluation.evaluatedAt),
    members: page.map((row) => ({
      ...parseProfileKey(row.profile_key),
      since: row.since === null ? null : isoOf(Number(row.since)),
    })),
    next:
      rows.length > limit && last
        ? encodeCursor({ runId: evaluation.runId, after: last.profile_key })
        : null,
  };
}
