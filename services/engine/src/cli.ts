import { ConfigError, loadConfig, type Config } from '@rapport/config';
import { createLogger, logDestination, type Logger } from '@rapport/observability';
import { migrationsDir } from '@rapport/schemas';
import { migrate, openStore, rebuildProjections } from '@rapport/store';
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './commands/demo.js';
import { listJobsCommand, runJobCommand } from './commands/jobs.js';
import { registerDistributedCommands, serviceAction } from './commands/distributed.js';
import { createEngine } from './engine.js';
import { armShutdownDeadline } from './shutdown.js';
import { removeEngineAddress, storeHolder, writeEngineAddress } from './engine-address.js';
import { defaultEngineUrl, findEngine } from './commands/client.js';
import { registerImportCommand } from './commands/import/register-import.js';

/**
 * Config and logger. Servers log JSON lines on stdout; a command that prints its own answer
 * (`jobs run`, `jobs list`) logs on stderr, warnings and worse unless RAPPORT_LOG_LEVEL says.
 */
function configure(use: 'server' | 'command' = 'server'): { config: Config; logger: Logger } {
  try {
    const config = loadConfig();
    if (use === 'command') {
      const level = process.env.RAPPORT_LOG_LEVEL ? config.logLevel : 'warn';
      const destination = { write: (line: string) => process.stderr.write(line) };
      return { config, logger: createLogger({ level, destination }) };
    }
    const destination = logDestination(config.logFormat);
    return { config, logger: createLogger({ level: config.logLevel, destination }) };
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
  const stop = (signal: string) => {
    // First, before any log line: a log reader that stopped reading must not hold the exit.
    armShutdownDeadline(config.shutdownGraceMs, () =>
      logger.error(
        { graceMs: config.shutdownGraceMs },
        'shutdown did not finish within the grace period (RAPPORT_SHUTDOWN_GRACE_MS); exiting',
      ),
    );
    logger.info({ signal }, 'shutting down: finishing requests and writing queued events');
    if (config.store.mode === 'embedded') removeEngineAddress(config.store.dataDir);
    engine.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Before listening: a signal sent as soon as the engine says it listens finds the handler.
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Said before the line that tells readers the engine is listening, so they have seen it.
  if (config.apiKeys.length === 0) {
    logger.warn(
      'no API keys configured (RAPPORT_API_KEYS): serving on loopback only, without authentication',
    );
  }
  const address = await engine.app.listen({ host: config.http.host, port: config.http.port });
  const where = config.store.mode === 'embedded' ? config.store.dataDir : config.store.url;
  // So that `rapport demo` and `rapport jobs …` run here find this engine by themselves.
  if (config.store.mode === 'embedded') writeEngineAddress(config.store.dataDir, address);
  logger.info({ address, store: config.store.mode, where }, `rapport is listening on ${address}`);
}

/** A command that opens the embedded store says so when a running engine holds it. */
function refuseIfHeld(config: Config, command: string) {
  if (config.store.mode !== 'embedded') return;
  const holder = storeHolder(config.store.dataDir);
  if (holder === undefined) return;
  process.stderr.write(
    `rapport: the data directory ${config.store.dataDir} is in use by another process (pid ${holder}), most likely a running engine: stop it before "${command}"\n`,
  );
  process.exit(1);
}

async function runMigrations() {
  const { config, logger } = configure();
  refuseIfHeld(config, 'rapport migrate');
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
  refuseIfHeld(config, 'rapport replay');
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

const whole = (name: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new InvalidArgumentError(`${name} must be a whole number`);
  }
  return number;
};

/** `--end`: "now", a date (its last second, UTC) or a date-time. */
function demoEnd(value: string): Date {
  if (value === 'now') return new Date();
  const end = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59Z` : value);
  if (Number.isNaN(end.getTime())) {
    throw new Error(`--end ${value}: not a date (try 2024-12-31, 2025-06-30T12:00:00Z or now)`);
  }
  return end;
}

program
  .command('demo')
  .description(
    'load generated demo data (visitors, customers, orders, emails) into a running engine',
  )
  .option(
    '--customers <n>',
    'people to generate, anonymous visitors included',
    whole('--customers'),
    1000,
  )
  .option(
    '--seed <n>',
    'same seed, same data (a second run reports duplicates)',
    whole('--seed'),
    1,
  )
  .option(
    '--end <date>',
    'the generated two years end at this date (a date means its end, UTC; "now" for today)',
    '2024-12-31',
  )
  .option(
    '--url <url>',
    'the engine (default: env RAPPORT_URL, else the engine running on RAPPORT_DATA_DIR, else http://127.0.0.1:8080)',
  )
  .option('--api-key <key>', 'API key with the ingest scope (env RAPPORT_API_KEY)')
  .option('--concurrency <n>', 'requests in flight', whole('--concurrency'), 4)
  .action(
    async (options: {
      customers: number;
      seed: number;
      end: string;
      url?: string;
      apiKey?: string;
      concurrency: number;
    }) => {
      const end = demoEnd(options.end);
      const { url, apiKey } = findEngine(options);
      await runDemo({
        url: url ?? defaultEngineUrl(),
        customers: options.customers,
        seed: options.seed,
        concurrency: options.concurrency,
        generator: { end },
        ...(apiKey ? { apiKey } : {}),
      });
    },
  );

const URL_HELP =
  'a running engine to ask (default: env RAPPORT_URL, else the engine running on RAPPORT_DATA_DIR, else open the store here)';
const KEY_HELP = 'API key for the engine (env RAPPORT_API_KEY)';

const jobs = program
  .command('jobs')
  .description('run and inspect batch jobs (rfm, clv, segments, clusters)')
  .option('--url <url>', URL_HELP)
  .option('--api-key <key>', KEY_HELP);

/** The engine to ask: options after the subcommand, then before it, then as found. */
const remote = (own: { url?: string; apiKey?: string }) => {
  const parent = jobs.opts<{ url?: string; apiKey?: string }>();
  const { url, apiKey } = findEngine({
    ...((own.url ?? parent.url) ? { url: own.url ?? parent.url } : {}),
    ...((own.apiKey ?? parent.apiKey) ? { apiKey: own.apiKey ?? parent.apiKey } : {}),
  });
  return { ...(url ? { url } : {}), ...(apiKey ? { apiKey } : {}) };
};

jobs
  .command('run <name>')
  .description('run a job in the foreground with a progress bar and print its summary')
  .option('--as-of <date>', 'the date or date-time the job computes as of (default: now)')
  .option('--param <key=value...>', 'other job parameters')
  .option('--url <url>', URL_HELP)
  .option('--api-key <key>', KEY_HELP)
  .action(
    async (
      name: string,
      options: { asOf?: string; param?: string[]; url?: string; apiKey?: string },
    ) => {
      const params: Record<string, unknown> = {};
      for (const pair of options.param ?? []) {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`--param ${pair}: expected key=value`);
        const value = pair.slice(at + 1);
        params[pair.slice(0, at)] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
      }
      if (options.asOf !== undefined) params.asOf = options.asOf;
      const ok = await runJobCommand(name, params, { ...configure('command'), ...remote(options) });
      process.exitCode = ok ? 0 : 1;
    },
  );

jobs
  .command('serve', { isDefault: true })
  .description(
    'distributed: the job scheduler as its own process, with /v1/jobs… on RAPPORT_PORT (needs CLICKHOUSE_URL; run one)',
  )
  .action(serviceAction('jobs', configure));

jobs
  .command('list')
  .description('jobs, their schedules and last runs')
  .option('--url <url>', URL_HELP)
  .option('--api-key <key>', KEY_HELP)
  .action((options: { url?: string; apiKey?: string }) =>
    listJobsCommand({ ...configure('command'), ...remote(options) }),
  );

registerImportCommand(program, (url) => findEngine(url ? { url } : {}).url ?? defaultEngineUrl());
registerDistributedCommands(program, configure);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`rapport: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
