import { isoOf, type TimelineEvent, type TimelineResponse } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { HttpError } from '@rapport/http';
import { customerKeys, linkedAnonymousIds } from '@rapport/profiles';

interface Cursor {
  ms: number;
  eventId: string;
}

/** `before` is an ISO-8601 date-time or a cursor from a previous page. */
export function parseBefore(before: string | undefined): Cursor | undefined {
  if (before === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}T/.test(before)) {
    const ms = Date.parse(before);
    if (Number.isNaN(ms)) throw new HttpError(400, `before: "${before}" is not a valid date-time`);
    return { ms, eventId: '' };
  }
  const decoded = Buffer.from(before, 'base64url').toString('utf8');
  const match = /^(\d{1,15}):(.{1,64})$/s.exec(decoded);
  if (!match?.[1] || match[2] === undefined) {
    throw new HttpError(400, 'before: must be an ISO-8601 date-time or a cursor from `next`');
  }
  return { ms: Number(match[1]), eventId: match[2] };
}

const encodeCursor = (cursor: Cursor) =>
  Buffer.from(`${cursor.ms}:${cursor.eventId}`, 'utf8').toString('base64url');

interface TimelineRow {
  event_id: string;
  type: TimelineEvent['type'];
  customer_id: string;
  anonymous_id: string;
  ts: number;
  received: number;
  channel: TimelineEvent['channel'];
  context: string;
  properties: string;
}

/** A customer's events, newest first, including those sent under linked anonymous ids. */
export async function readTimeline(
  store: Store,
  request: { customerId: string; limit: number; before?: string },
): Promise<TimelineResponse> {
  const before = parseBefore(request.before);
  const anonymousIds = await linkedAnonymousIds(store, request.customerId);
  const keys = customerKeys(request.customerId, anonymousIds);
  const rows = await store.query<TimelineRow>(
    `SELECT event_id, type, customer_id, anonymous_id,
            toUnixTimestamp64Milli(timestamp) AS ts, toUnixTimestamp64Milli(received_at) AS received,
            channel, context, properties
     FROM events
     WHERE customer_key IN {keys:Array(String)}
       ${before ? "AND (timestamp, event_id) < (fromUnixTimestamp64Milli({beforeMs:Int64}, 'UTC'), {beforeId:String})" : ''}
     ORDER BY timestamp DESC, event_id DESC
     LIMIT {limit:UInt32}`,
    { keys, limit: request.limit + 1, beforeMs: before?.ms, beforeId: before?.eventId },
  );
  const page = rows.slice(0, request.limit);
  const last = page.at(-1);
  return {
    customerId: request.customerId,
    linkedAnonymousIds: anonymousIds,
    events: page.map((row) => ({
      eventId: row.event_id,
      type: row.type,
      customerId: row.customer_id === '' ? null : row.customer_id,
      anonymousId: row.anonymous_id === '' ? null : row.anonymous_id,
      timestamp: isoOf(Number(row.ts)),
      receivedAt: isoOf(Number(row.received)),
      channel: row.channel,
      context: JSON.parse(row.context) as Record<string, unknown>,
      properties: JSON.parse(row.properties) as Record<string, unknown>,
    })),
    next:
      rows.length > request.limit && last
        ? encodeCursor({ ms: Number(last.ts), eventId: last.event_id })
        : null,
  };
}
