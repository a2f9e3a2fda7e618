import { chunkForUrl, type Store } from '@rapport/store';
import { profileKey } from './profile-key.js';
import { idsOf, type CustomerLinks } from './scope-params.js';

/** The profiles a set of customer keys touches, and their customers' links. */
export interface LinkedScope {
  /**
   * The keys themselves and, for each anonymous key, every customer that ever linked it: its
   * owner now, and the one a link or unlink took it from. An anonymous key stays in (its own
   * row, from when it was a visitor, may have to go).
   */
  profiles: string[];
  /**
   * The links of each customer among the profiles (none: no ids, no rows): what scopeParams
   * would read for them.
   */
  linked: ReadonlyMap<string, CustomerLinks>;
}

/**
 * Both hops in one statement: the customers the anonymous ids were ever linked to (by the
 * table's order), then every anonymous id linked to those customers or to the customer ids
 * given (by its by_customer projection). The scalar subquery is run first and its array
 * bound as a constant, so both reads are key look-ups.
 */
const LINKED_SCOPE_SQL = `
WITH (
    SELECT groupUniqArray(customer_id) FROM identity_links
    WHERE anonymous_id IN {anonymous_ids:Array(String)}
) AS linked_customers
SELECT customer_id, groupUniqArray(anonymous_id) AS anonymous_ids, count() AS link_rows
FROM identity_links
WHERE customer_id IN arrayConcat({customer_ids:Array(String)}, linked_customers)
GROUP BY customer_id`;

/**
 * The keys of one statement on the embedded store, in bytes as chunkForUrl counts them (about
 * 25,000 keys; its statements take up to 16 MiB of SQL). A server takes them in the URL, capped.
 */
const EMBEDDED_KEY_BYTES = 1024 * 1024;

/**
 * The profiles events stored under these customer keys (`c:…`, `a:…`) belong to, with the
 * anonymous ids linked to each of their customers, in one read per chunk of keys rather than
 * a read for each hop (at a million people, 450 keys: 14.4–15.2 ms against 14.5–17.5 for the
 * two, the look-ups being the same). A link stored after this read is missed, as by
 * scopeParams: the link's own event touches its customer, whose next evaluation or rewrite
 * reads it.
 */
export async function linkedScope(
  store: Store,
  customerKeys: Iterable<string>,
): Promise<LinkedScope> {
  const profiles = new Set(customerKeys);
  const linked = new Map<string, CustomerLinks>();
  const maxBytes = store.mode === 'embedded' ? EMBEDDED_KEY_BYTES : undefined;
  for (const chunk of chunkForUrl([...profiles], maxBytes)) {
    const customerIds: string[] = [];
    const anonymousIds: string[] = [];
    for (const key of chunk) {
      const { customerId, anonymousId } = idsOf(key);
      if (customerId !== null) {
        customerIds.push(customerId);
        linked.set(customerId, linked.get(customerId) ?? { ids: [], rows: 0 });
      }
      if (anonymousId !== null) anonymousIds.push(anonymousId);
    }
    if (customerIds.length === 0 && anonymousIds.length === 0) continue;
    const rows = await store.query<{
      customer_id: string;
      anonymous_ids: string[];
      link_rows: unknown;
    }>(LINKED_SCOPE_SQL, { customer_ids: customerIds, anonymous_ids: anonymousIds });
    for (const row of rows) {
      linked.set(row.customer_id, { ids: row.anonymous_ids, rows: Number(row.link_rows) });
    }
  }
  for (const customerId of linked.keys()) profiles.add(profileKey({ customerId }));
  return { profiles: [...profiles].sort(), linked };
}
