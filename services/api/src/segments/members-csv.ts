import { Readable } from 'node:stream';
import { HttpError } from '@rapport/http';
import {
  parseProfileKey,
  PROFILE_FIELDS,
  profileField,
  type ProfileField,
} from '@rapport/profiles';
import { isoOf } from '@rapport/schemas';
import type { SegmentEvaluation } from '@rapport/segments';
import type { Store } from '@rapport/store';
import { readMembers, type MemberRow } from './members-query.js';

/** Rows read from the store at a time: a few MB, however large the segment. */
export const CSV_CHUNK_ROWS = 20_000;

/** The profile fields a `fields` parameter names, in its order; 400 naming any unknown one. */
export function exportFields(names: string | undefined): ProfileField[] {
  if (names === undefined || names.trim() === '') return [];
  const wanted = names.split(',').map((name) => name.trim());
  const unknown = wanted.filter((name) => profileField(name) === undefined);
  if (unknown.length > 0) {
    throw new HttpError(
      400,
      `fields: no profile field ${unknown.map((name) => JSON.stringify(name)).join(', ')}; ` +
        `fields are ${PROFILE_FIELDS.map((field) => field.name).join(', ')}`,
      {},
      unknown.map((name) => ({ path: '/fields', message: `no profile field "${name}"` })),
    );
  }
  return wanted.map((name) => profileField(name)).filter((field) => field !== undefined);
}

/** The header row, with a column per profile field asked for (named as in rules). */
function csvHeader(fields: readonly ProfileField[]): string {
  return ['customer_id', 'anonymous_id', 'since', ...fields.map((f) => f.name)].join(',') + '\r\n';
}

/** A field's value as a cell: times in ISO-8601, lists joined by `;`, missing values empty. */
function cellOf(field: ProfileField, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (field.type === 'time') return isoOf(Number(value));
  // Lists hold strings (categories, channels).
  if (Array.isArray(value)) return value.map((item) => String(item as string)).join(';');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function csvRow(row: MemberRow, fields: readonly ProfileField[]): string {
  const member = parseProfileKey(row.profile_key);
  const since = row.since === null ? null : isoOf(Number(row.since));
  const cells = [
    member.customerId,
    member.anonymousId,
    since,
    ...fields.map((field, i) => cellOf(field, row[`v${i}`])),
  ];
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** A cell a spreadsheet would run as a formula: it begins with = + - @, a tab or a CR. */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;

/**
 * RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. A field
 * a spreadsheet would take for a formula (an id such as `=HYPERLINK(…)`) gets a leading `'`
 * and is quoted (OWASP, CSV injection); plain numbers such as -12.5 are left as they are.
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  if (FORMULA_START.test(value) && !PLAIN_NUMBER.test(value)) {
    return `"'${value.replaceAll('"', '""')}"`;
  }
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

async function* csvChunks(input: {
  store: Store;
  segmentId: string;
  evaluation: SegmentEvaluation;
  fields: readonly ProfileField[];
  chunkRows: number;
}): AsyncGenerator<string> {
  const { store, segmentId, evaluation, fields, chunkRows } = input;
  yield csvHeader(fields);
  let after = '';
  let written = 0;
  for (;;) {
    const rows = await readMembers(store, {
      segmentId,
      runId: evaluation.runId,
      after,
      limit: chunkRows,
      fields,
    });
    const last = rows.at(-1);
    if (!last) break;
    yield rows.map((row) => csvRow(row, fields)).join('');
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
  /** Profile fields to add as columns, from the evaluation's snapshot. */
  fields?: readonly ProfileField[];
  chunkRows?: number;
}): Readable {
  const chunks = csvChunks({
    ...input,
    fields: input.fields ?? [],
    chunkRows: input.chunkRows ?? CSV_CHUNK_ROWS,
  });
  return Readable.from(chunks, {
    objectMode: false,
  });
}
