import { StoreError } from './errors.js';

/** Where migrations go when the store is a ClickHouse cluster. */
export interface ClusterTarget {
  /** The cluster's name in the servers' remote_servers configuration. */
  cluster: string;
  database: string;
}

/** Suffix of the replicated table on each node; the distributed table keeps the plain name. */
export const LOCAL_SUFFIX = '_local';

const MERGE_TREE = /^(Replacing|Aggregating|Summing|Collapsing|VersionedCollapsing)?MergeTree$/;
const IDENT = '[A-Za-z_][A-Za-z0-9_]*';

/**
 * Renders migrations written for one server so that they build the same schema on a cluster:
 *
 * - `CREATE TABLE t … ENGINE = XMergeTree` becomes `t_local ON CLUSTER`, engine
 *   `ReplicatedXMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')`, with
 *   `replicated_deduplication_window` for `non_replicated_deduplication_window`; then
 *   `t ON CLUSTER AS t_local ENGINE = Distributed(cluster, db, t_local, <sharding key>)`, so
 *   reads and writes keep using `t`. The sharding key routes a customer's rows to the shard of
 *   their events (see SHARD_BY), so that a customer's events and aggregates live on one shard.
 * - `CREATE MATERIALIZED VIEW v TO t AS SELECT … FROM s` is created ON CLUSTER reading the
 *   local source and writing the local target: each shard projects the rows it stores.
 * - `ALTER`, `DROP`, `TRUNCATE` of a replicated table go to `t_local ON CLUSTER` (column
 *   changes to the distributed `t` too); other CREATE statements just get ON CLUSTER.
 * - `EXCHANGE TABLES a AND b` of replicated tables exchanges `a_local` and `b_local` ON
 *   CLUSTER; the distributed tables, which name their local table, follow.
 *   Anything else (INSERT … SELECT, which goes through the distributed tables) is unchanged.
 *
 * `replicated` is the set of tables made replicated so far (earlier migrations included), so
 * that later statements can refer to them; the caller renders every migration in order.
 */
export function renderForCluster(
  statement: string,
  target: ClusterTarget,
  replicated: Set<string>,
): string[] {
  const { cluster, database } = target;
  const on = `ON CLUSTER ${cluster}`;
  const qualified = (table: string) => `${database}.${table}`;

  const table = new RegExp(
    `^CREATE\\s+TABLE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${IDENT})\\s*(\\([\\s\\S]*\\))\\s*ENGINE\\s*=\\s*(${IDENT})(\\s*\\(([^)]*)\\))?([\\s\\S]*)$`,
    'i',
  ).exec(statement);
  if (table) {
    const [, ifNotExists = '', name = '', columns = '', engine = '', , args = '', rest = ''] =
      table;
    if (!MERGE_TREE.test(engine)) {
      return [
        `CREATE TABLE ${ifNotExists}${qualified(name)} ${on} ${columns}\nENGINE = ${engine}${args ? `(${args})` : ''}${rest}`,
      ];
    }
    replicated.add(name);
    const local = `${name}${LOCAL_SUFFIX}`;
    const replicationArgs = [
      `'/clickhouse/tables/{shard}/{database}/{table}'`,
      `'{replica}'`,
      ...(args.trim() === '' ? [] : [args.trim()]),
    ].join(', ');
    const settings = rest.replace(
      /\bnon_replicated_deduplication_window\b/g,
      'replicated_deduplication_window',
    );
    return [
      `CREATE TABLE ${ifNotExists}${qualified(local)} ${on} ${columns}\nENGINE = Replicated${engine}(${replicationArgs})${settings}`,
      `CREATE TABLE ${ifNotExists}${qualified(name)} ${on} AS ${qualified(local)}\n` +
        `ENGINE = Distributed(${cluster}, ${database}, ${local}, ${shardingKey(columns)})`,
    ];
  }

  const view = new RegExp(
    `^CREATE\\s+MATERIALIZED\\s+VIEW\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${IDENT})\\s+TO\\s+(${IDENT})\\s+AS\\s+([\\s\\S]*)$`,
    'i',
  ).exec(statement);
  if (view) {
    const [, ifNotExists = '', name = '', to = '', select = ''] = view;
    const localSelect = select.replace(
      new RegExp(`\\b(FROM|JOIN)\\s+(${IDENT})\\b`, 'gi'),
      (match, keyword: string, source: string) =>
        replicated.has(source) ? `${keyword} ${qualified(source + LOCAL_SUFFIX)}` : match,
    );
    const targetTable = replicated.has(to) ? to + LOCAL_SUFFIX : to;
    return [
      `CREATE MATERIALIZED VIEW ${ifNotExists}${qualified(name)} ${on} TO ${qualified(targetTable)} AS\n${localSelect}`,
    ];
  }

  const change = new RegExp(
    `^(ALTER\\s+TABLE|DROP\\s+TABLE(?:\\s+IF\\s+EXISTS)?|TRUNCATE\\s+TABLE(?:\\s+IF\\s+EXISTS)?)\\s+(${IDENT})\\b([\\s\\S]*)$`,
    'i',
  ).exec(statement);
  if (change) {
    const [, verb = '', name = '', rest = ''] = change;
    if (!replicated.has(name)) return [`${verb} ${qualified(name)} ${on}${rest}`];
    const local = `${verb} ${qualified(name + LOCAL_SUFFIX)} ${on}${rest}`;
    const isAlter = /^ALTER/i.test(verb);
    const columnChange = /^\s*(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b/i.test(rest);
    if (/^DROP/i.test(verb)) {
      replicated.delete(name);
      return [`${verb} ${qualified(name)} ${on}${rest}`, local];
    }
    if (isAlter && columnChange) return [local, `${verb} ${qualified(name)} ${on}${rest}`];
    return [local];
  }

  const create = new RegExp(
    `^CREATE\\s+((?:OR\\s+REPLACE\\s+)?(?:VIEW|DICTIONARY|FUNCTION))\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${IDENT})\\b([\\s\\S]*)$`,
    'i',
  ).exec(statement);
  if (create) {
    const [, kind = '', ifNotExists = '', name = '', rest = ''] = create;
    const what = /FUNCTION/i.test(kind) ? name : qualified(name);
    return [`CREATE ${kind} ${ifNotExists}${what} ${on}${rest}`];
  }

  const exchange = new RegExp(
    `^EXCHANGE\\s+TABLES\\s+(${IDENT})\\s+AND\\s+(${IDENT})\\s*$`,
    'i',
  ).exec(statement);
  if (exchange) {
    const [, first = '', second = ''] = exchange;
    if (replicated.has(first) !== replicated.has(second)) {
      throw new StoreError(
        'rejected',
        `cannot exchange ${first} and ${second} on a cluster: one is replicated, the other not`,
      );
    }
    // Each distributed table reads its local table by name: exchanging the local ones is all.
    const [a, b] = replicated.has(first)
      ? [first + LOCAL_SUFFIX, second + LOCAL_SUFFIX]
      : [first, second];
    return [`EXCHANGE TABLES ${qualified(a)} AND ${qualified(b)} ${on}`];
  }

  if (/^(INSERT|SELECT|OPTIMIZE|SYSTEM)\b/i.test(statement)) return [statement];
  throw new StoreError(
    'rejected',
    `cannot render this statement for a cluster; add a rule to the cluster renderer: ${statement.split('\n')[0]}`,
  );
}

/**
 * How each kind of key routes a row, written so that one customer's rows land on the shard of
 * their events: `events` shards by `customer_key`, which is `c:<customer_id>` for an event
 * with a customer id and `a:<anonymous_id>` otherwise (profile keys have the same form). A
 * materialized view runs on the shard that stored the events block and writes that shard's
 * local table, so a view-fed table keyed by `customer_id` must hash `c:<customer_id>`, not
 * the bare id: otherwise a row written through the distributed table (a repair, a replay)
 * lands elsewhere than the view's rows for the same customer, and FINAL or an aggregation,
 * which merge within a shard, see them split.
 */
const SHARD_BY: readonly (readonly [column: string, key: string])[] = [
  ['customer_key', 'cityHash64(customer_key)'],
  ['profile_key', 'cityHash64(profile_key)'],
  ['customer_id', "cityHash64(concat('c:', customer_id))"],
  ['anonymous_id', "cityHash64(concat('a:', anonymous_id))"],
  ['run_id', 'cityHash64(run_id)'],
];

/**
 * Customer-keyed tables shard with their customer's events (above), run-keyed ones by the
 * run; anything else spreads at random. Rows a ReplacingMergeTree replaces must share a
 * shard, since FINAL merges within a shard.
 */
function shardingKey(columns: string): string {
  const names = new Set(
    [...columns.matchAll(new RegExp(`^\\s*\\(?\\s*(${IDENT})\\s+[A-Z]`, 'gm'))].map((m) => m[1]),
  );
  for (const [column, key] of SHARD_BY) {
    if (names.has(column)) return key;
  }
  return 'rand()';
}

/** The ledger of applied migrations: one replicated table every node holds in full. */
export function clusterLedger(target: ClusterTarget): string {
  return `CREATE TABLE IF NOT EXISTS ${target.database}.schema_migrations ON CLUSTER ${target.cluster}
(
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/schema_migrations', '{shard}-{replica}')
ORDER BY version`;
}

/** Every migration rendered for the cluster, in order (checksums stay those of the files). */
export function renderMigrations<M extends { statements: string[] }>(
  migrations: readonly M[],
  target: ClusterTarget,
): M[] {
  const replicated = new Set<string>();
  return migrations.map((migration) => ({
    ...migration,
    statements: migration.statements.flatMap((statement) =>
      renderForCluster(statement, target, replicated),
    ),
  }));
}
