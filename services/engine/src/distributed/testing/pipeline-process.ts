/**
 * A pipeline service as its own process, on an embedded store, for the Kafka crash tests:
 *   pipeline-process.ts run           migrate the store, consume (env: KAFKA_*, RAPPORT_DATA_DIR)
 *   pipeline-process.ts count <file>  print how often each event id of the file is stored
 * `run` prints "pipeline listening on <url>" once it consumes; SIGTERM stops it cleanly.
 * With RAPPORT_TEST_KILL=<window>:<n> it kills itself with SIGKILL at its n-th insert into
 * `events`: `before-insert`, `mid-insert` (while the insert runs) or `after-insert` (the
 * insert returned, its batch not yet committed to Kafka). It prints "found stored <n>" each
 * time its dedup look-up finds events already stored: redelivered ones.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '@rapport/config';
import { createLogger } from '@rapport/observability';
import { migrationsDir } from '@rapport/schemas';
import {
  chunkForUrl,
  migrate,
  openStore,
  type Lane,
  type QueryParams,
  type Store,
} from '@rapport/store';
import { createPipelineService } from '../pipeline-service.js';

const config = loadConfig(process.env);

/** The store, killing this process with -9 in the window RAPPORT_TEST_KILL names. */
function instrumented(store: Store): Store {
  const [window, nth] = (process.env.RAPPORT_TEST_KILL ?? '').split(':');
  const die = () => process.kill(process.pid, 'SIGKILL');
  let inserts = 0;
  let found = 0;
  const wrapped = Object.create(store) as Store;
  wrapped.query = async <T>(sql: string, params?: QueryParams, lane?: Lane) => {
    const rows = await store.query<T>(sql, params, lane);
    if (sql.startsWith('SELECT event_id FROM events WHERE event_id IN') && rows.length > 0) {
      found += rows.length;
      console.log(`found stored ${found}`);
    }
    return rows;
  };
  if (!window) return wrapped;
  wrapped.insertJsonLines = async (table, body, options) => {
    if (table !== 'events' || ++inserts < Number(nth)) {
      return store.insertJsonLines(table, body, options);
    }
    if (window === 'before-insert') die();
    const inserting = store.insertJsonLines(table, body, options);
    if (window === 'mid-insert') setTimeout(die, 1);
    await inserting;
    die();
  };
  return wrapped;
}
const [mode, idsFile] = process.argv.slice(2);

if (mode === 'run') {
  const logger = createLogger({ level: 'warn' });
  const setup = await openStore(config.store);
  await migrate(setup, migrationsDir);
  await setup.close();
  const service = await createPipelineService({
    config,
    logger,
    wrapStore: instrumented,
    onFatal: (error) => {
      logger.fatal({ err: error }, 'pipeline stopped');
      process.exit(1);
    },
  });
  process.once('SIGTERM', () => void service.close().then(() => process.exit(0)));
  const address = await service.app.listen({ host: '127.0.0.1', port: 0 });
  console.log(`pipeline listening on ${address}`);
} else if (mode === 'count' && idsFile) {
  const ids = readFileSync(idsFile, 'utf8').split('\n').filter(Boolean);
  const store = await openStore(config.store);
  const copies = new Map<string, number>();
  for (const chunk of chunkForUrl(ids)) {
    const rows = await store.query<{ id: string; n: number }>(
      'SELECT event_id AS id, count() AS n FROM events WHERE event_id IN {ids:Array(String)} GROUP BY id',
      { ids: chunk },
    );
    for (const row of rows) copies.set(row.id, Number(row.n));
  }
  const [projected] = await store.query<{ events: number; projected: number }>(
    `SELECT
       (SELECT count() FROM events WHERE startsWith(customer_key, {prefix:String})) AS events,
       (SELECT sum(event_count) FROM customer_stats WHERE startsWith(customer_key, {prefix:String})) AS projected`,
    { prefix: process.env.RAPPORT_TEST_CUSTOMER_PREFIX ?? 'c:' },
  );
  await store.close();
  const counts = [...copies.values()];
  console.log(
    JSON.stringify({
      ids: ids.length,
      stored: counts.length,
      missing: ids.length - counts.length,
      duplicated: counts.filter((n) => n > 1).length,
      events: Number(projected?.events ?? 0),
      projected: Number(projected?.projected ?? 0),
    }),
  );
} else {
  console.error('usage: pipeline-process.ts run | count <ids-file>');
  process.exit(2);
}
