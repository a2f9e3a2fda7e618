import { migrationsDir } from '@rapport/schemas';
import { migrate, openStore, rebuildProjections, type Store } from '@rapport/store';

/** How a store's projections and log compare with a replay of that log. */
export interface ProjectionDiff {
  /** Rows in `events`, and event ids in it more than once. */
  events: number;
  duplicated: number;
  /** Acknowledged ids not in `events`. */
  lost: number;
  /** Profiles (customer keys) whose stats differ from the replay's. */
  profileMismatches: number;
  profiles: number;
  /** Keys that differ, per projection (customer_stats, customer_traits, identity_links, trait_index, the report rollups). */
  mismatches: Record<string, number>;
}

/**
 * Every projection reduced to one text per key, so that two databases compare with EXCEPT.
 * `{db}` is replaced with the database.
 */
const CANONICAL: Record<string, string> = {
  customer_stats: `SELECT customer_key AS k, toString((sum(event_count), sum(orders), sum(revenue),
      sum(refunds), sum(refunded), min(first_seen), max(last_seen), max(last_received),
      uniqExactMerge(visit_days), sumMap(events_by_type), sumMap(events_by_channel),
      sumMap(email_actions), sumMap(categories), argMaxMerge(last_order), max(last_order_at))) AS v
    FROM {db}.customer_stats GROUP BY k`,
  customer_traits: `SELECT concat(customer_id, '/', trait) AS k, argMaxMerge(value) AS v
    FROM {db}.customer_traits GROUP BY customer_id, trait`,
  identity_links: `SELECT concat(anonymous_id, '/', event_id) AS k, toString((count(), any(customer_id), any(linked))) AS v
    FROM {db}.identity_links GROUP BY anonymous_id, event_id`,
  trait_index: `SELECT DISTINCT concat(trait, '/', value, '/', customer_id) AS k, '' AS v
    FROM {db}.trait_index`,
  report_types: `SELECT concat(toString(day), '/', type, '/', channel, '/', customer_key) AS k,
      toString((sum(events), sum(amount))) AS v
    FROM {db}.report_types GROUP BY day, type, channel, customer_key`,
  report_daily: `SELECT concat(toString(day), '/', channel, '/', customer_key) AS k,
      toString((sum(events), sum(visits), sum(orders), sum(revenue), min(first_order_at),
        min(first_seen), max(last_seen), min(first_event), min(first_tag))) AS v
    FROM {db}.report_daily GROUP BY day, channel, customer_key`,
  report_touches: `SELECT concat(customer_key, '/', toString(timestamp), '/', type, '/', action, '/',
      campaign, '/', toString(amount)) AS k, toString(count()) AS v
    FROM {db}.report_touches GROUP BY ALL`,
  report_keys: `SELECT customer_key AS k,
      toString((min(first_seen), max(last_seen), min(first_event))) AS v
    FROM {db}.report_keys GROUP BY customer_key`,
};

/**
 * Copies the log of `store` into a scratch database on the same path, rebuilds its projections
 * with the replay code, and compares them key by key with the streaming ones; checks that every
 * acknowledged id is stored exactly once. `open` opens another database on the store's path.
 */
export async function diffAgainstReplay(
  store: Store,
  options: { acknowledged: Iterable<string>; open: (database: string) => Promise<Store> },
): Promise<ProjectionDiff> {
  const database = `replay_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const scratch = await options.open(database);
  try {
    await migrate(scratch, migrationsDir);
    await scratch.command(`INSERT INTO events SELECT * FROM ${store.database}.events`);
    await rebuildProjections(scratch);
    await scratch.command('CREATE TABLE acknowledged (event_id String) ENGINE = Memory');
    const ids = [...options.acknowledged];
    for (let i = 0; i < ids.length; i += 10_000) {
      const part = ids.slice(i, i + 10_000).map((id) => JSON.stringify({ event_id: id }));
      if (part.length > 0)
        await scratch.insertJsonLines('acknowledged', Buffer.from(part.join('\n')));
    }
    const number = async (sql: string) =>
      Number((await scratch.query<{ n: number }>(sql))[0]?.n ?? 0);
    const log = `${store.database}.events`;
    const mismatches: Record<string, number> = {};
    for (const [table, canonical] of Object.entries(CANONICAL)) {
      const live = canonical.replaceAll('{db}', store.database);
      const replayed = canonical.replaceAll('{db}', database);
      mismatches[table] = await number(
        `SELECT uniqExact(k) AS n FROM ((${live} EXCEPT ${replayed}) UNION ALL (${replayed} EXCEPT ${live}))`,
      );
    }
    return {
      events: await number(`SELECT count() AS n FROM ${log}`),
      duplicated: await number(
        `SELECT count() AS n FROM (SELECT event_id FROM ${log} GROUP BY event_id HAVING count() > 1)`,
      ),
      lost: await number(
        `SELECT count() AS n FROM acknowledged WHERE event_id NOT IN (SELECT event_id FROM ${log})`,
      ),
      profileMismatches: mismatches.customer_stats ?? 0,
      profiles: await number('SELECT uniqExact(customer_key) AS n FROM customer_stats'),
      mismatches,
    };
  } finally {
    await scratch.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
    await scratch.close();
  }
}

/** Opens a database on an embedded store's path (one more connection of this process). */
export function opener(dataDir: string) {
  return (database: string) =>
    openStore({ mode: 'embedded', dataDir, database, readConnections: 1 });
}
