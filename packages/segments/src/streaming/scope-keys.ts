import type { Store } from '@rapport/store';

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
