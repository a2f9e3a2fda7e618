import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { profileKey } from './profile-key.js';

/**
 * Identity ownership: which customer owns an anonymous id. Each anonymous id's latest link row
 * by event time (ties by event id) decides: an identify links it to that customer, an unlink
 * (or an identify under another customer) ends the link. As of a time T, only rows at or
 * before T count, so a link made exactly at T already holds.
 *
 * `ownersSql` is the one definition; every job, rule and read that merges anonymous activity
 * into customers uses it. Parameters: `{asOf:Int64}` (epoch ms) when `asOf` is set.
 */
export function ownersSql(
  options: {
    /** Read links as they stood at `{asOf:Int64}`. */
    asOf?: boolean;
    /**
     * The right side of IN for the anonymous ids to consider, as written: a parenthesized
     * subquery or value, or an array (a scoped read: see SCOPE).
     */
    within?: string;
    /** Also `links`: how many link rows the anonymous id has (its link history's length). */
    counted?: boolean;
    /**
     * Keep each id's latest row by reading the table backwards in its order (anonymous_id, at,
     * event_id) rather than by grouping: the same owners, for reads of the whole table (at a
     * million people 0.2 s of CPU against 0.45). Not with `counted`.
     */
    inOrder?: boolean;
  } = {},
): string {
  const where = [
    ...(options.asOf ? ["at <= fromUnixTimestamp64Milli({asOf:Int64}, 'UTC')"] : []),
    ...(options.within === undefined ? [] : [`anonymous_id IN ${options.within}`]),
  ];
  if (options.inOrder && !options.counted) {
    return `
    SELECT anonymous_id, owner FROM (
        SELECT anonymous_id, customer_id AS owner, linked
        FROM identity_links
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY anonymous_id DESC, at DESC, event_id DESC
        LIMIT 1 BY anonymous_id)
    WHERE linked = 1`;
  }
  return `
    SELECT anonymous_id, argMax(customer_id, (at, event_id)) AS owner${options.counted ? ', count() AS links' : ''}
    FROM identity_links
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    GROUP BY anonymous_id
    HAVING argMax(linked, (at, event_id)) = 1`;
}

/**
 * SQL: the anonymous ids `{customerId:String}` owns (at `{asOf:Int64}` when `asOf` is set), at
 * most 10,000.
 */
function ownedAnonymousIdsSql(options: { asOf: boolean }): string {
  const owners = ownersSql({
    asOf: options.asOf,
    within: '(SELECT anonymous_id FROM identity_links WHERE customer_id = {customerId:String})',
  });
  return `SELECT anonymous_id FROM (${owners}) WHERE owner = {customerId:String}
     ORDER BY anonymous_id LIMIT 10000`;
}

/** The anonymous ids the customer owns now (or at `asOf`), in id order. */
export async function linkedAnonymousIds(
  store: Store,
  customerId: string,
  asOf?: number,
): Promise<string[]> {
  const rows = await store.query<{ anonymous_id: string }>(
    ownedAnonymousIdsSql({ asOf: asOf !== undefined }),
    { customerId, asOf },
  );
  return rows.map((row) => row.anonymous_id);
}

/** The customer an anonymous id belongs to now (or at `asOf`), if any. */
export async function ownerOf(
  store: Store,
  anonymousId: string,
  asOf?: number,
): Promise<string | null> {
  const owners = ownersSql({ asOf: asOf !== undefined, within: '({anonymousId:String})' });
  const [row] = await store.query<{ owner: string }>(`SELECT owner FROM (${owners})`, {
    anonymousId,
    asOf,
  });
  return row?.owner ?? null;
}

/**
 * The event that undoes a link: from `at` on, the anonymous id's activity no longer counts for
 * the customer. An admin's correction, not customer activity (projections count it for nothing);
 * the link history stays in the log.
 */
export function unlinkEvent(input: {
  customerId: string;
  anonymousId: string;
  at: number;
}): StoredEvent {
  const { customerId, anonymousId, at } = input;
  return {
    event_id: `unlink-${randomUUID()}`,
    type: 'identity_unlink',
    customer_key: profileKey({ customerId }),
    customer_id: customerId,
    anonymous_id: anonymousId,
    timestamp: at,
    original_timestamp: at,
    sent_at: null,
    received_at: at,
    channel: 'other',
    order_id: '',
    amount: 0,
    currency: '',
    amount_original: 0,
    context: {},
    properties: {},
  };
}
