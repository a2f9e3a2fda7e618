import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { Config } from '@rapport/config';
import { createChdbConnection, type ChdbConnection } from 'chdb/connection';
import { StoreError, toStoreError } from './errors.js';
import { inlineParams } from './inline-params.js';
import { MergeThreadPriority } from './merge-priority.js';

export type QueryParams = Record<string, unknown>;

/**
 * Reads go to the read lane; the write lane serves the batch writer alone; heavy reads
 * (segment previews, reports, exports) go to a connection of their own, so that a look-up
 * never waits behind one (one embedded connection runs one query at a time); the statements
 * of job runs in the engine go to another (see onLane), so that a run of several seconds holds
 * up neither the writer nor look-ups; background upkeep (the rewrites of profile rows batches
 * touched) to a third, so that no read, streaming evaluation's included, waits behind a
 * rewrite of a second or two. A ClickHouse server takes every lane alike.
 */
export type Lane = 'read' | 'write' | 'heavy' | 'jobs' | 'background';

export interface InsertOptions {
  /** Per-insert settings; never left behind on the connection. */
  settings?: Record<string, string | number>;
}

/**
 * The ClickHouse store, embedded (chdb in-process) or a server over HTTP, behind one
 * interface. Per-statement settings belong in the SQL text (`SELECT … SETTINGS …`): on the
 * embedded connection, client-level settings would stick to the session.
 */
export interface Store {
  readonly mode: 'embedded' | 'http';
  readonly database: string;
  /** The ClickHouse cluster the tables are spread over, if any (http mode). */
  readonly cluster?: string | undefined;
  query<T>(sql: string, params?: QueryParams, lane?: Lane): Promise<T[]>;
  /** A statement with no result; on the write lane unless said (background rewrites read). */
  command(sql: string, params?: QueryParams, lane?: Lane): Promise<void>;
  /** Inserts newline-delimited JSON objects whose keys are the table's columns. */
  insertJsonLines(table: string, body: Buffer, options?: InsertOptions): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Embedded only: this opening of the data directory and the one before it, by any process.
   * State kept beside the store (say, a copy of some of its rows) was written by the process
   * of `previous` if it recorded that token: then nobody opened the store in between.
   */
  readonly opening?: StoreOpening;
}

export interface StoreOpening {
  /** The data directory the store lives in. */
  dataDir: string;
  token: string;
  /** The token of the opening before this one; null for a store never opened before. */
  previous: string | null;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkTable(table: string): string {
  if (!TABLE_NAME.test(table)) throw new StoreError('rejected', `bad table name "${table}"`);
  return table;
}

async function runQuery<T>(client: ClickHouseClient, sql: string, params?: QueryParams) {
  try {
    const result = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    return await result.json<T>();
  } catch (error) {
    throw toStoreError(error, 'query failed');
  }
}

async function runCommand(client: ClickHouseClient, sql: string, params?: QueryParams) {
  try {
    await client.command({ query: sql, query_params: params });
  } catch (error) {
    throw toStoreError(error, 'command failed');
  }
}

/**
 * The SQL text the embedded engine parses (`max_query_size`, set on every connection as it
 * opens; ClickHouse's default is 256 KiB). Past it, a statement's parameters are bound by the
 * engine, which runs such statements one at a time for the whole process; a list of 100,000
 * keys written in (3.4 MB of SQL) is parsed and run in about 0.3 s.
 */
const EMBEDDED_MAX_QUERY_BYTES = 16 * 1024 * 1024;

/**
 * A statement for the embedded engine: its parameters written into the SQL where they can be
 * (the engine runs statements with bound parameters one at a time; see inline-params.ts).
 */
function written(sql: string, params?: QueryParams): [string, QueryParams | undefined] {
  const inlined = inlineParams(sql, params, EMBEDDED_MAX_QUERY_BYTES);
  return inlined === undefined ? [sql, params] : [inlined, undefined];
}

class EmbeddedStore implements Store {
  readonly mode = 'embedded';
  private closed = false;
  private nextReader = 0;

  constructor(
    readonly database: string,
    private readonly writer: { client: ClickHouseClient; connection: ChdbConnection },
    private readonly readers: ClickHouseClient[],
    readonly opening: StoreOpening,
    private readonly merges: MergeThreadPriority,
  ) {}

  private client(lane: Lane): ClickHouseClient {
    if (this.closed) throw new StoreError('closed', 'the store is closed');
    if (lane === 'write') return this.writer.client;
    // The last three readers are the heavy lane's, the jobs' and the background's; the others
    // take turns with reads.
    const shared = Math.max(1, this.readers.length - 3);
    if (lane === 'heavy') return this.readers[shared] ?? this.readers[0] ?? this.writer.client;
    if (lane === 'jobs') return this.readers[shared + 1] ?? this.readers[0] ?? this.writer.client;
    if (lane === 'background') {
      return this.readers[shared + 2] ?? this.readers[0] ?? this.writer.client;
    }
    this.nextReader = (this.nextReader + 1) % shared;
    return this.readers[this.nextReader] ?? this.writer.client;
  }

  query<T>(sql: string, params?: QueryParams, lane: Lane = 'read') {
    return runQuery<T>(this.client(lane), ...written(sql, params));
  }

  command(sql: string, params?: QueryParams, lane: Lane = 'write') {
    return runCommand(this.client(lane), ...written(sql, params));
  }

  async insertJsonLines(table: string, body: Buffer, options: InsertOptions = {}) {
    if (this.closed) throw new StoreError('closed', 'the store is closed');
    try {
      await this.writer.connection.chdb.rawInsert({
        table: `${this.database}.${checkTable(table)}`,
        format: 'JSONEachRow',
        values: body,
        ...(options.settings ? { settings: options.settings } : {}),
      });
    } catch (error) {
      throw toStoreError(error, `insert into ${table} failed`);
    }
  }

  async ping() {
    await this.query('SELECT 1');
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    this.merges.stop();
    await Promise.all([this.writer.client, ...this.readers].map((client) => client.close()));
  }
}

class HttpStore implements Store {
  readonly mode = 'http';
  constructor(
    readonly database: string,
    private readonly client: ClickHouseClient,
    readonly cluster?: string,
  ) {}

  query<T>(sql: string, params?: QueryParams) {
    return runQuery<T>(this.client, sql, params);
  }

  command(sql: string, params?: QueryParams) {
    return runCommand(this.client, sql, params);
  }

  async insertJsonLines(table: string, body: Buffer, options: InsertOptions = {}) {
    try {
      const result = await this.client.exec({
        query: `INSERT INTO ${checkTable(table)} FORMAT JSONEachRow`,
        values: Readable.from([body]),
        ...(options.settings ? { clickhouse_settings: options.settings } : {}),
      });
      result.stream.resume();
      await new Promise((resolve, reject) => {
        result.stream.on('end', resolve).on('error', reject);
      });
    } catch (error) {
      throw toStoreError(error, `insert into ${table} failed`);
    }
  }

  async ping() {
    const result = await this.client.ping();
    if (!result.success) throw toStoreError(result.error, 'ping failed');
  }

  close() {
    return this.client.close();
  }
}

async function openEmbedded(config: Extract<Config['store'], { mode: 'embedded' }>) {
  const open = () => {
    const connection = createChdbConnection({ path: config.dataDir });
    const client = createClient({ connection } as unknown as Parameters<typeof createClient>[0]);
    return { connection, client };
  };
  let writer: ReturnType<typeof open>;
  try {
    writer = open();
    await runCommand(writer.client, 'CREATE DATABASE IF NOT EXISTS {db:Identifier}', {
      db: config.database,
    });
  } catch (error) {
    throw new StoreError(
      'unavailable',
      `cannot open the embedded store at ${config.dataDir}: ${(error as Error).message} ` +
        '(is another rapport process using this data directory?)',
      { cause: error },
    );
  }
  // Three more than configured: the heavy lane's, the jobs' and the background's.
  const readers = Array.from({ length: config.readConnections + 3 }, open);
  // USE and SET are session state: each connection gets them once, so SQL can name tables
  // unqualified and carry long lists of values written in.
  for (const { client } of [writer, ...readers]) {
    await runCommand(client, 'USE {db:Identifier}', { db: config.database });
    await runCommand(client, `SET max_query_size = ${EMBEDDED_MAX_QUERY_BYTES}`);
  }
  return new EmbeddedStore(
    config.database,
    writer,
    readers.map((reader) => reader.client),
    await recordOpening(config.dataDir),
    new MergeThreadPriority(config.mergeNice ?? 0).start(),
  );
}

/** Marks the data directory as opened now (the engine holds it: one process at a time). */
async function recordOpening(dataDir: string): Promise<StoreOpening> {
  const file = join(dataDir, 'rapport-opening');
  const previous = await readFile(file, 'utf8').then(
    (text) => text.trim() || null,
    () => null,
  );
  const token = randomUUID();
  await writeFile(file, token);
  return { dataDir, token, previous };
}

/** Settings of every statement sent to a ClickHouse server (or cluster). */
export function serverSettings(cluster: string | undefined): ClickHouseSettings {
  return {
    // Numbers for 64-bit integers, as the embedded engine returns them.
    output_format_json_quote_64bit_integers: 0,
    ...(cluster === undefined
      ? {}
      : {
          // IN and JOIN subqueries over distributed tables run once and are sent to every
          // shard (GLOBAL), so that each shard compares against all of their rows.
          distributed_product_mode: 'global',
          // An insert through a distributed table (a job's INSERT … SELECT included) returns
          // once every shard has its rows, not when they are queued on the node that took
          // it: jobs read their results straight back.
          insert_distributed_sync: 1,
        }),
  };
}

async function openHttp(config: Extract<Config['store'], { mode: 'http' }>) {
  const settings = serverSettings(config.cluster);
  const base = { url: config.url, username: config.username, password: config.password };
  const bootstrap = createClient({ ...base, clickhouse_settings: settings });
  try {
    // The cluster name is a plain identifier (checked by the configuration).
    const onCluster = config.cluster === undefined ? '' : ` ON CLUSTER ${config.cluster}`;
    await runCommand(bootstrap, `CREATE DATABASE IF NOT EXISTS {db:Identifier}${onCluster}`, {
      db: config.database,
    });
  } finally {
    await bootstrap.close();
  }
  const client = createClient({
    ...base,
    database: config.database,
    clickhouse_settings: settings,
  });
  return new HttpStore(config.database, client, config.cluster);
}

/** Opens the store the configuration names, creating its database if needed. */
export function openStore(config: Config['store']): Promise<Store> {
  return config.mode === 'embedded' ? openEmbedded(config) : openHttp(config);
}
