import { parseReportInstant } from '@rapport/schemas';
import type { Store } from '@rapport/store';

export const DAY_MS = 86_400_000;
/** The longest period a report covers: ten years of days keeps every series small. */
const MAX_DAYS = 3660;

/** A report parameter that cannot be honoured; answered with 400 and this message. */
export class ReportParamsError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'ReportParamsError';
  }
}

/** A report's period as epoch ms: `from` included, `to` excluded. */
export interface ReportRange {
  from: number;
  to: number;
}

/** Midnight UTC of the day after the latest event, or of tomorrow when there is none. */
async function defaultEnd(store: Store): Promise<number> {
  // The projection holds one row per key, far fewer than the log.
  const [row] = await store.query<{ last: number | string | null }>(
    `SELECT toUnixTimestamp64Milli(max(last_seen)) AS last FROM customer_stats
     HAVING count() > 0`,
  );
  const last = row?.last == null ? Date.now() : Number(row.last);
  return (Math.floor(last / DAY_MS) + 1) * DAY_MS;
}

/**
 * Resolves a report's `from`/`to` (validated strings, see parseReportInstant): `to` defaults to
 * the day after the latest event, `from` to `defaultFrom(to)`.
 */
export async function resolveRange(
  store: Store,
  input: { from?: string | undefined; to?: string | undefined },
  defaultFrom: (to: number) => number = (to) => to - 30 * DAY_MS,
): Promise<ReportRange> {
  const parse = (name: string, value: string) => {
    const ms = parseReportInstant(value);
    if (ms === null) throw new ReportParamsError(`${name}: not a day or an instant: ${value}`);
    return ms;
  };
  const to = input.to === undefined ? await defaultEnd(store) : parse('to', input.to);
  const from = input.from === undefined ? defaultFrom(to) : parse('from', input.from);
  if (!(from < to)) {
    throw new ReportParamsError(
      `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`,
    );
  }
  if (to - from > MAX_DAYS * DAY_MS) {
    throw new ReportParamsError(`the period may span at most ${MAX_DAYS} days`);
  }
  return { from, to };
}

/** SQL: the bounds as DateTime64, from the `{from:Int64}` and `{to:Int64}` parameters. */
export const FROM = "fromUnixTimestamp64Milli({from:Int64}, 'UTC')";
export const TO = "fromUnixTimestamp64Milli({to:Int64}, 'UTC')";

/** Every UTC day of the range, as YYYY-MM-DD. */
export function daysOf(range: ReportRange): string[] {
  const days: string[] = [];
  for (let at = Math.floor(range.from / DAY_MS) * DAY_MS; at < range.to; at += DAY_MS) {
    days.push(new Date(at).toISOString().slice(0, 10));
  }
  return days;
}

export const round2 = (value: number) => Math.round(value * 100) / 100;
export const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
/** 64-bit integers come back as strings from a ClickHouse server, numbers from chdb. */
export const num = (value: unknown) => Number(value ?? 0);
