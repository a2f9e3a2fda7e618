import type { Store } from '@rapport/store';

/** `AND at <= …` when reading links as they stood at a time. */
const asOfClause = (asOf: number | undefined) =>
  asOf === undefined ? '' : "AND at <= fromUnixTimestamp64Milli({asOf:Int64}, 'UTC')";

/**
 * Anonymous ids that belong to the customer: those whose latest link row (by event time)
 * links them to this customer. A later identify under another customer, or an unlink, ends it.
 */
export async function linkedAnonymousIds(
  store: Store,
  customerId: string,
  asOf?: number,
): Promise<string[]> {
  const rows = await store.query<{ anonymous_id: string }>(
    `SELECT anonymous_id FROM identity_links
     WHERE anonymous_id IN (
         SELECT anonymous_id FROM identity_links WHERE customer_id = {customerId:String} ${asOfClause(asOf)}
       ) ${asOfClause(asOf)}
     GROUP BY anonymous_id
     HAVING argMax(customer_id, (at, event_id)) = {customerId:String}
        AND argMax(linked, (at, event_id)) = 1
     ORDER BY anonymous_id
     LIMIT 10000`,
    { customerId, asOf },
  );
  return rows.map((row) => row.anonymous_id);
}

/** The customer an anonymous id belongs to now (or at `asOf`), if any. */
export async function ownerOf(store: Store, anonymousId: string, asOf?: number) {
  const [row] = await store.query<{ customer_id: string; linked: number }>(
    `SELECT argMax(customer_id, (at, event_id)) AS customer_id, argMax(linked, (at, event_id)) AS linked
     FROM identity_links
     WHERE anonymous_id = {anonymousId:String} ${asOfClause(asOf)}
     HAVING count() > 0`,
    { anonymousId, asOf },
  );
  return row && Number(row.linked) === 1 ? row.customer_id : null;
}
