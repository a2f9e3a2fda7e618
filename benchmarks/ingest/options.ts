import { parseIntegerOptions, usageOf, UsageError } from '../lib/options.js';

export { UsageError };

export interface IngestBenchOptions {
  /** Events sent in the timed run. */
  events: number;
  /** Events per HTTP request. */
  batchSize: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Seed of the event mix: the same seed sends the same events. */
  seed: number;
  /** Untimed batches sent first (distinct events), to warm the engine up. */
  warmupBatches: number;
  /** Rows per insert in the raw store measurement. */
  rawBatchRows: number;
  /** Times both halves are measured; the median of each is reported. */
  rounds: number;
}

const SPEC = {
  events: { env: 'BENCH_EVENTS', fallback: 200_000, min: 1, help: 'events in the timed run' },
  'batch-size': { env: 'BENCH_BATCH_SIZE', fallback: 500, min: 1, help: 'events per HTTP request' },
  concurrency: { env: 'BENCH_CONCURRENCY', fallback: 8, min: 1, help: 'requests in flight' },
  seed: { env: 'BENCH_SEED', fallback: 42, min: 0, help: 'seed of the event mix' },
  'warmup-batches': {
    env: 'BENCH_WARMUP_BATCHES',
    fallback: 10,
    min: 0,
    help: 'untimed batches first',
  },
  'raw-batch-rows': {
    env: 'BENCH_RAW_BATCH_ROWS',
    fallback: 10_000,
    min: 1,
    help: 'rows per raw store insert',
  },
  rounds: {
    env: 'BENCH_ROUNDS',
    fallback: 1,
    min: 1,
    help: 'measure both halves N times, report the medians',
  },
} as const;

export const USAGE = usageOf('npm run bench:ingest', SPEC);

/** Options from argv, else the environment, else the defaults; undefined when --help. */
export function parseOptions(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): IngestBenchOptions | undefined {
  const values = parseIntegerOptions(SPEC, argv, env);
  if (values === undefined) return undefined;
  return {
    events: values.events,
    batchSize: values['batch-size'],
    concurrency: values.concurrency,
    seed: values.seed,
    warmupBatches: values['warmup-batches'],
    rawBatchRows: values['raw-batch-rows'],
    rounds: values.rounds,
  };
}
