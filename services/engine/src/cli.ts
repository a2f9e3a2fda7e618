import { ConfigError, loadConfig, type Config } from '@rapport/config';
import { createLogger, type Logger } from '@rapport/observability';
import { migrationsDir } from '@rapport/schemas';
import { migrate, openStore, rebuildProjections } from '@rapport/store';
import { Command } from 'commander';
import { createEngine } from './engine.js';

function configure(): { config: Config; logger: Logger } {
  try {
    const config = loadConfig();
    return { config, logger: createLogger({ level: config.logLevel }) };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`rapport: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function start() {
  const { config, logger } = configure();
  const engine = await createEngine({ config, logger });
  const address = await engine.app.listen({ host: config.http.host, port: config.http.port });
  const where = config.store.mode === 'embedded' ? config.store.dataDir : config.store.url;
  logger.info({ address, store: config.store.mode, where }, `rapport is listening on ${address}`);
  if (config.apiKeys.length === 0) {
    logger.warn(
      'no API keys configured (RAPPORT_API_KEYS): serving on loopback only, without authentication',
    );
  }
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing requests and writing queued events');
    engine.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function runMigrations() {
  const { config, logger } = configure();
  const store = await openStore(config.store);
  try {
    const { applied } = await migrate(store, migrationsDir, logger);
    process.stdout.write(
      applied.length === 0
        ? 'schema is up to date\n'
        : `applied migrations ${applied.join(', ')}\n`,
    );
  } finally {
    await store.close();
  }
}

async function replay() {
  const { config, logger } = configure();
  const store = await openStore(config.store);
  try {
    await migrate(store, migrationsDir, logger);
    const started = performance.now();
    const rebuilt = await rebuildProjections(store, {
      onProgress: (done, total, table) =>
        process.stderr.write(`rebuilding projections ${done}/${total} ${table}\n`),
    });
    for (const { table, rows, seconds } of rebuilt) {
      process.stdout.write(
        `${table.padEnd(24)} ${String(rows).padStart(12)} rows ${seconds.toFixed(2).padStart(8)} s\n`,
      );
    }
    process.stdout.write(`replayed in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  } finally {
    await store.close();
  }
}

const program = new Command('rapport')
  .description('Rapport: customer-interaction analytics engine')
  .showHelpAfterError();

program
  .command('start')
  .description('run ingest, pipeline and API in one process (embedded store unless CLICKHOUSE_URL)')
  .action(start);

program
  .command('migrate')
  .description('apply pending schema migrations and exit')
  .action(runMigrations);

program
  .command('replay')
  .description('drop and rebuild every projection from the event log (stop the engine first)')
  .action(replay);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`rapport: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
