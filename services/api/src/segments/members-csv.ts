import { Readable } from 'node:stream';
import { parseProfileKey } from '@rapport/profiles';
import { isoOf } from '@rapport/schemas';
import type { SegmentEvaluation } from '@rapport/segments';
import type { Store } from '@rapport/store';
import { readMembers } from './members-query.js';

/** Rows read from the store at a time: a few MB, however large the segment. */
export const CSV_CHUNK_ROWS = 20_000;

export const CSV_HEADER = 'customer_id,anonymous_id,since\r\n';

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

async function* csvChunks(input: {
  store: Store;
  segmentId: string;
  evaluation: SegmentEvaluation;
  chunkRows: number;
}): AsyncGenerator<string> {
  const { store, segmentId, evaluation, chunkRows } = input;
  yield CSV_HEADER;
  let after = '';
  let written = 0;
  for (;;) {
    const rows = await readMembers(store, {
      segmentId,
      runId: evaluation.runId,
      after,
      limit: chunkRows,
    });
    const last = rows.at(-1);
    if (!last) break;
    let text = '';
    for (const row of rows) {
      const member = parseProfileKey(row.profile_key);
      const since = row.since === null ? null : isoOf(Number(row.since));
      text += `${csvField(member.customerId)},${csvField(member.anonymousId)},${csvField(since)}\r\n`;
    }
    yield text;
    written += rows.length;
    if (rows.length < chunkRows) break;
    after = last.profile_key;
  }
  // The run's results can be dropped while a long export reads them: end the response with an
  // error rather than let a short file pass for the whole segment.
  if (written !== evaluation.members) {
    throw new Error(
      `segment ${segmentId}: exported ${written} of ${evaluation.members} members of run ` +
        `${evaluation.runId}; its results changed during the export`,
    );
  }
}

/** Every member of the evaluation as CSV, read from the store a chunk at a time. */
export function membersCsv(input: {
  store: Store;
  segmentId: string;
  evaluation: SegmentEvaluation;
  chunkRows?: number;
}): Readable {
  return Readable.from(csvChunks({ ...input, chunkRows: input.chunkRows ?? CSV_CHUNK_ROWS }), {
    objectMode: false,
  });
}
