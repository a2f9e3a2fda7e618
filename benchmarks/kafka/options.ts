import { parseIntegerOptions, usageOf, UsageError } from '../lib/options.js';

export { UsageError };

export interface KafkaBenchOptions {
  /** Events sent in the timed run. */
  events: number;
  /** Events per second offered to ingest, as one request every batchSize/rate seconds. */
  rate: number;
  /** Events per HTTP request. */
  batchSize: number;
  /** Requests in flight at most. */
  concurrency: number;
  /** Partitions of the events topic. */
  partitions: number;
  /** Seed of the event mix. */
  seed: number;
  /** How often the pipeline's /metrics are read (ms). */
  sampleMs: number;
  /** The run fails when the pipeline has not drained by then (s). */
  timeoutS: number;
}

const SPEC = {
  events: { env: 'BENCH_EVENTS', fallback: 200_000, min: 1, help: 'events in the timed run' },
  rate: { env: 'BENCH_RATE', fallback: 10_000, min: 1, help: 'events/s offered to ingest' },
  'batch-size': { env: 'BENCH_BATCH_SIZE', fallback: 500, min: 1, help: 'events per HTTP request' },
  concurrency: {
    env: 'BENCH_CONCURRENCY',
    fallback: 8,
    min: 1,
    help: 'requests in flight at most',
  },
  partitions: { env: 'BENCH_PARTITIONS', fallback: 12, min: 1, help: 'partitions of the topic' },
  seed: { env: 'BENCH_SEED', fallback: 42, min: 0, help: 'seed of the event mix' },
  'sample-ms': { env: 'BENCH_SAMPLE_MS', fallback: 500, min: 50, help: 'metrics read every' },
  'timeout-s': { env: 'BENCH_TIMEOUT_S', fallback: 600, min: 10, help: 'longest run' },
} as const;

export const USAGE = usageOf('npm run bench:kafka', SPEC);

export function parseOptions(argv: string[]): KafkaBenchOptions | undefined {
  const values = parseIntegerOptions(SPEC, argv);
  if (!values) return undefined;
  return {
    events: values.events,
    rate: values.rate,
    batchSize: values['batch-size'],
    concurrency: values.concurrency,
    partitions: values.partitions,
    seed: values.seed,
    sampleMs: values['sample-ms'],
    timeoutS: values['timeout-s'],
  };
}
