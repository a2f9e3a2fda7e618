import { migrationsDir } from '@rapport/schemas';
import { describe, expect, it } from 'vitest';
import { renderForCluster, renderMigrations } from './cluster-ddl.js';
import { loadMigrations } from './migrations.js';

const target = { cluster: 'rapport', database: 'crm' };
const rendered = renderMigrations(loadMigrations(migrationsDir), target);
const all = rendered.flatMap((migration) => migration.statements);
const find = (start: string) => {
  const statement = all.find((s) => s.startsWith(start));
  if (!statement) throw new Error(`no statement starts with ${start}`);
  return statement;
};

describe('migrations rendered for a cluster', () => {
  it('create every statement ON CLUSTER, and keep the files’ checksums', () => {
    const files = loadMigrations(migrationsDir);
    expect(rendered.map((m) => m.checksum)).toEqual(files.map((m) => m.checksum));
    // A backfill (INSERT … SELECT) goes through the distributed tables, unchanged.
    for (const statement of all.filter((s) => !s.startsWith('INSERT '))) {
      expect(statement).toMatch(/ ON CLUSTER rapport\b/);
    }
  });

  it('make events a replicated local table behind a distributed one sharded by customer', () => {
    const local = find('CREATE TABLE IF NOT EXISTS crm.events_local ON CLUSTER rapport');
    expect(local).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
    );
    expect(local).toContain('PROJECTION by_event_id (SELECT event_id ORDER BY event_id)');
    expect(local).toMatch(/\nPARTITION BY to\w+\(timestamp\)\n/);
    expect(local).toContain('SETTINGS replicated_deduplication_window = 10000');
    expect(local).not.toContain('non_replicated');
    expect(find('CREATE TABLE IF NOT EXISTS crm.events ON CLUSTER')).toBe(
      'CREATE TABLE IF NOT EXISTS crm.events ON CLUSTER rapport AS crm.events_local\n' +
        'ENGINE = Distributed(rapport, crm, events_local, cityHash64(customer_key))',
    );
  });

  it('keep the engine family and its arguments', () => {
    expect(find('CREATE TABLE IF NOT EXISTS crm.customer_stats_local')).toContain(
      'ENGINE = ReplicatedAggregatingMergeTree(',
    );
    expect(find('CREATE TABLE IF NOT EXISTS crm.trait_index_local')).toContain(
      'ENGINE = ReplicatedReplacingMergeTree(',
    );
    const replacing = renderForCluster(
      'CREATE TABLE IF NOT EXISTS t (k String, v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY k',
      target,
      new Set(),
    );
    expect(replacing[0]).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', v) ORDER BY k",
    );
    expect(replacing[1]).toContain('Distributed(rapport, crm, t_local, rand())');
  });

  it('shard the rows a ReplacingMergeTree replaces together: by profile, else by run', () => {
    const distributed = (table: string) =>
      find(`CREATE TABLE IF NOT EXISTS crm.${table} ON CLUSTER rapport AS crm.${table}_local`);
    expect(distributed('segment_membership')).toContain('cityHash64(profile_key)');
    expect(distributed('job_runs')).toContain('cityHash64(run_id)');
    expect(distributed('rfm_scores')).toContain("cityHash64(concat('c:', customer_id))");
  });

  it('shard every table a view of events writes the way events are sharded', () => {
    // A view runs on the shard that stored the events block and writes that shard's local
    // table; the distributed table in front must route the same customer to the same shard,
    // or a row written through it (a repair) lands apart from the view's rows.
    const shardingKeys = new Map(
      all.flatMap((statement) => {
        const match = /ENGINE = Distributed\(rapport, crm, (\w+), (.+)\)$/.exec(statement);
        return match ? [[match[1]!, match[2]!] as const] : [];
      }),
    );
    expect(shardingKeys.get('events_local')).toBe('cityHash64(customer_key)');
    // events.customer_key is 'c:' || customer_id for an event with a customer id.
    const likeEvents = ['cityHash64(customer_key)', "cityHash64(concat('c:', customer_id))"];
    const fed = all.flatMap((statement) => {
      const match =
        /^CREATE MATERIALIZED VIEW .* TO crm\.(\w+) AS\n[\s\S]*\bFROM crm\.events_local\b/.exec(
          statement,
        );
      return match ? [match[1]!] : [];
    });
    expect(fed.sort()).toEqual([
      'customer_stats_local',
      'customer_traits_local',
      'identity_links_local',
      'report_daily_local',
      // Made by 0018, and again by 0024 with each key's last activity.
      'report_keys_local',
      'report_keys_local',
      // Made by 0020 and dropped by 0022.
      'report_months_local',
      'report_totals_local',
      'report_touches_local',
      'report_types_local',
      'trait_index_local',
    ]);
    // Counts per day, type and channel that named no one (0017; dropped by 0019, for
    // report_types, keyed by customer): any shard held them.
    expect(shardingKeys.get('report_totals_local')).toBe('rand()');
    for (const table of fed.filter((name) => name !== 'report_totals_local')) {
      expect({ table, key: shardingKeys.get(table) }).toEqual({
        table,
        key: expect.toBeOneOf(likeEvents),
      });
    }
    expect(shardingKeys.get('customer_traits_local')).toBe("cityHash64(concat('c:', customer_id))");
    expect(shardingKeys.get('identity_links_local')).toBe("cityHash64(concat('c:', customer_id))");
    expect(shardingKeys.get('trait_index_local')).toBe("cityHash64(concat('c:', customer_id))");
  });

  it('let materialized views read and write the local tables of their shard', () => {
    const view = find('CREATE MATERIALIZED VIEW IF NOT EXISTS crm.customer_stats_from_events');
    expect(view).toContain('ON CLUSTER rapport TO crm.customer_stats_local AS');
    expect(view).toContain('FROM crm.events_local');
    expect(view).not.toMatch(/FROM events\b/);
    const identity = find('CREATE MATERIALIZED VIEW IF NOT EXISTS crm.identity_links_from_events');
    expect(identity).toContain('TO crm.identity_links_local');
  });

  it('send changes of replicated tables to the local tables, and column changes to both', () => {
    const replicated = new Set(['events']);
    expect(renderForCluster('ALTER TABLE events ADD COLUMN x UInt8', target, replicated)).toEqual([
      'ALTER TABLE crm.events_local ON CLUSTER rapport ADD COLUMN x UInt8',
      'ALTER TABLE crm.events ON CLUSTER rapport ADD COLUMN x UInt8',
    ]);
    expect(
      renderForCluster('ALTER TABLE events MATERIALIZE PROJECTION p', target, replicated),
    ).toEqual(['ALTER TABLE crm.events_local ON CLUSTER rapport MATERIALIZE PROJECTION p']);
    expect(renderForCluster('DROP TABLE IF EXISTS events', target, replicated)).toEqual([
      'DROP TABLE IF EXISTS crm.events ON CLUSTER rapport',
      'DROP TABLE IF EXISTS crm.events_local ON CLUSTER rapport',
    ]);
    expect(replicated.has('events')).toBe(false);
  });

  it('remake a replicated table by exchanging the local tables, the distributed ones following', () => {
    const replicated = new Set(['stats', 'stats_new']);
    expect(renderForCluster('EXCHANGE TABLES stats AND stats_new', target, replicated)).toEqual([
      'EXCHANGE TABLES crm.stats_local AND crm.stats_new_local ON CLUSTER rapport',
    ]);
    expect(renderForCluster('EXCHANGE TABLES a AND b', target, new Set())).toEqual([
      'EXCHANGE TABLES crm.a AND crm.b ON CLUSTER rapport',
    ]);
    expect(() => renderForCluster('EXCHANGE TABLES stats AND b', target, replicated)).toThrow(
      /one is replicated, the other not/,
    );
    // 0025: customer_stats (and two more) copied into tables of smaller granules, which take their place.
    const remake = rendered.find((m) => m.name === 'profile_tables_small_granules')!.statements;
    expect(remake.filter((s) => /^(TRUNCATE|EXCHANGE|DROP).*customer_stats/.test(s))).toEqual([
      'TRUNCATE TABLE crm.customer_stats_0025_local ON CLUSTER rapport',
      'EXCHANGE TABLES crm.customer_stats_local AND crm.customer_stats_0025_local ON CLUSTER rapport',
      'DROP TABLE IF EXISTS crm.customer_stats_0025 ON CLUSTER rapport',
      'DROP TABLE IF EXISTS crm.customer_stats_0025_local ON CLUSTER rapport',
    ]);
    expect(
      remake.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS crm.customer_stats_0025 ')),
    ).toContain('Distributed(rapport, crm, customer_stats_0025_local, cityHash64(customer_key))');
  });

  it('leave data statements alone and refuse what they cannot render', () => {
    const insert = 'INSERT INTO segments SELECT * FROM events';
    expect(renderForCluster(insert, target, new Set())).toEqual([insert]);
    expect(() => renderForCluster('RENAME TABLE a TO b', target, new Set())).toThrow(
      /cannot render this statement for a cluster/,
    );
  });
});
