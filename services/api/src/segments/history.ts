import { HttpError } from '@rapport/http';
import type { Store } from '@rapport/store';

const DAY_MS = 86_400_000;
/** Longest range one answer covers. */
export const MAX_HISTORY_DAYS = 3_660;
export const DEFAULT_HISTORY_DAYS = 90;

export interface HistoryDay {
  day: string;
  entered: number;
  exited: number;
  members: number;
}

const dayOf = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);

/** The UTC days asked for, checked: `to` defaults to today, `from` to 90 days up to `to`. */
export function historyRange(input: {
  from?: string | undefined;
  to?: string | undefined;
  now: number;
}) {
  const to = Date.parse(`${input.to ?? dayOf(input.now)}T00:00:00Z`);
  const from =
    input.from === undefined
      ? to - (DEFAULT_HISTORY_DAYS - 1) * DAY_MS
      : Date.parse(`${input.from}T00:00:00Z`);
  if (from > to) {
    throw new HttpError(400, '`from` is after `to`', {}, [
      { path: '/from', message: 'after `to`' },
    ]);
  }
  const days = (to - from) / DAY_MS + 1;
  if (days > MAX_HISTORY_DAYS) {
    throw new HttpError(400, `at most ${MAX_HISTORY_DAYS} days at a time; got ${days}`, {}, [
      { path: '/from', message: `more than ${MAX_HISTORY_DAYS} days before \`to\`` },
    ]);
  }
  return { from, to };
}

/**
 * Per UTC day from `from` to `to` (midnights, epoch ms): intervals that began that day
 * (entries), intervals that ended that day (exits), and the members at the end of the day.
 */
export async function readHistory(
  store: Store,
  input: { segmentId: string; from: number; to: number },
): Promise<HistoryDay[]> {
  const end = input.to + DAY_MS;
  // Every interval is an entry and, once closed, an exit; days before the range are summed
  // into the members at its start.
  const rows = await store.query<{ day: string; entered: number; exited: number }>(
    `SELECT if(at < fromUnixTimestamp64Milli({from:Int64}, 'UTC'), '', toString(toDate(at, 'UTC'))) AS day,
            sum(entry) AS entered, sum(1 - entry) AS exited
     FROM
     (
         SELECT arrayJoin([(entered_at, 1), (exited_at, 0)]) AS change,
                change.1 AS at, change.2 AS entry
         FROM segment_membership FINAL
         WHERE segment_id = {segmentId:String}
     )
     WHERE at IS NOT NULL AND at < fromUnixTimestamp64Milli({end:Int64}, 'UTC')
     GROUP BY day`,
    { segmentId: input.segmentId, from: input.from, end },
  );
  const byDay = new Map(rows.map((row) => [row.day, row]));
  const before = byDay.get('');
  let members = Number(before?.entered ?? 0) - Number(before?.exited ?? 0);
  const days: HistoryDay[] = [];
  for (let at = input.from; at <= input.to; at += DAY_MS) {
    const day = dayOf(at);
    const row = byDay.get(day);
    const entered = Number(row?.entered ?? 0);
    const exited = Number(row?.exited ?? 0);
    members += entered - exited;
    days.push({ day, entered, exited, members });
  }
  return days;
}
