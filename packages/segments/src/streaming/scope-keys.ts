import { chunkForUrl, type Store } from '@rapport/store';
import { LINKED_CUSTOMERS_SQL } from './membership-sql.js';

/**
 * The profiles whose membership a batch of events may have changed, from the customer keys
 * the batch was stored under (`c:…`, `a:…`): those keys, and for an anonymous key every
 * customer that ever linked it — its owner now, and the one a link or unlink took it from.
 * An anonymous key stays in: when a customer took it over, its own profile is gone.
 */
export async function touchedProfiles(
  store: Store,
  customerKeys: Iterable<string>,
): Promise<string[]> {
  const keys = new Set(customerKeys);
  const anonymousIds = [...keys].filter((key) => key.startsWith('a:')).map((key) => key.slice(2));
  for (const chunk of chunkForUrl(anonymousIds)) {
    const rows = await store.query<{ key: string }>(LINKED_CUSTOMERS_SQL, { anonymousIds: chunk });
    for (const row of rows) keys.add(row.key);
  }
  return [...keys].sort();
}

/**
 * The customer keys of events received since `{since}` (epoch ms), the anonymous ids' too:
 * at start-up, what a killed process may have stored without evaluating it.
 */
export async function recentlyReceivedKeys(store: Store, since: number): Promise<string[]> {
  const rows = await store.query<{ key: string }>(
    `SELECT DISTINCT arrayJoin([customer_key, if(anonymous_id = '', customer_key, concat('a:', anonymous_id))]) AS key
     FROM events WHERE received_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')`,
    { since },
  );
  return rows.map((row) => row.key);
}
