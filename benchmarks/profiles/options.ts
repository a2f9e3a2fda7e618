import { DATASET_OPTIONS, parseIntegerOptions, usageOf, UsageError } from '../lib/options.js';

export { UsageError };

export interface ProfilesBenchOptions {
  /** People in the generated data set, anonymous visitors included. */
  customers: number;
  /** Seed of the data set. */
  seed: number;
  /** Identified customers whose profiles the hot run reads: the most recently active. */
  workingSet: number;
  /** Requests in flight while the cache is warmed. */
  warmupConcurrency: number;
  /** The most seconds the warm-up may take; the working set is cut to what it fetched. */
  warmupSeconds: number;
  /** Seconds of each timed run (ceiling, hot). */
  duration: number;
  /** Seconds of the cold run over every identified customer. */
  coldDuration: number;
  /** Connections autocannon keeps open (pipelining 1). */
  connections: number;
  /** RAPPORT_PROFILE_CACHE_MB for the engine; 0 keeps the engine's default. */
  cacheMb: number;
  /** 1 times `rapport replay` on the data set first; 0 skips it. */
  replay: number;
  /** Customers with many devices added through the API and read once each; 0 skips them. */
  heavy: number;
  /** Devices (anonymous ids) of each heavy customer. */
  heavyDevices: number;
  /** Events of each of their devices, beside its identify. */
  heavyEvents: number;
}

const SPEC = {
  ...DATASET_OPTIONS,
  'working-set': {
    env: 'BENCH_WORKING_SET',
    fallback: 100_000,
    min: 1,
    help: 'most recently active customers read in the hot run',
  },
  'warmup-concurrency': {
    env: 'BENCH_WARMUP_CONCURRENCY',
    fallback: 16,
    min: 1,
    help: 'requests in flight while warming the cache',
  },
  'warmup-seconds': {
    env: 'BENCH_WARMUP_SECONDS',
    fallback: 900,
    min: 1,
    help: 'longest warm-up; the working set is cut to the profiles it fetched',
  },
  duration: { env: 'BENCH_DURATION', fallback: 20, min: 1, help: 'seconds of each timed run' },
  'cold-duration': {
    env: 'BENCH_COLD_DURATION',
    fallback: 10,
    min: 0,
    help: 'seconds of the cold run over all customers (0 skips it)',
  },
  connections: {
    env: 'BENCH_CONNECTIONS',
    fallback: 64,
    min: 1,
    help: 'connections of the load generator',
  },
  'cache-mb': {
    env: 'BENCH_CACHE_MB',
    fallback: 0,
    min: 0,
    help: "the engine's profile cache in MiB (0: its default)",
  },
  replay: {
    env: 'BENCH_REPLAY',
    fallback: 1,
    min: 0,
    help: 'time `rapport replay` on the data set first (0 skips it)',
  },
  heavy: {
    env: 'BENCH_HEAVY',
    fallback: 20,
    min: 0,
    help: 'customers with many devices added and read once each (0 skips them)',
  },
  'heavy-devices': {
    env: 'BENCH_HEAVY_DEVICES',
    fallback: 300,
    min: 1,
    help: 'anonymous ids of each heavy customer',
  },
  'heavy-events': {
    env: 'BENCH_HEAVY_EVENTS',
    fallback: 10,
    min: 1,
    help: 'events of each device of a heavy customer',
  },
} as const;

export const USAGE = usageOf('npm run bench:profiles', SPEC);

/** Options from argv, else the environment, else the defaults; undefined when --help. */
export function parseOptions(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): ProfilesBenchOptions | undefined {
  const values = parseIntegerOptions(SPEC, argv, env);
  if (values === undefined) return undefined;
  return {
    customers: values.customers,
    seed: values.seed,
    workingSet: values['working-set'],
    warmupConcurrency: values['warmup-concurrency'],
    warmupSeconds: values['warmup-seconds'],
    duration: values.duration,
    coldDuration: values['cold-duration'],
    connections: values.connections,
    cacheMb: values['cache-mb'],
    replay: values.replay,
    heavy: values.heavy,
    heavyDevices: values['heavy-devices'],
    heavyEvents: values['heavy-events'],
  };
}
