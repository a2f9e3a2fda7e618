import { DATASET_OPTIONS, parseIntegerOptions, usageOf, UsageError } from '../lib/options.js';

export { UsageError };

export interface RfmBenchOptions {
  /** People in the generated data set, anonymous visitors included. */
  customers: number;
  /** Seed of the data set. */
  seed: number;
}

const SPEC = DATASET_OPTIONS;

export const USAGE = usageOf('npm run bench:rfm', SPEC);

/** Options from argv, else the environment, else the defaults; undefined when --help. */
export function parseOptions(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): RfmBenchOptions | undefined {
  const values = parseIntegerOptions(SPEC, argv, env);
  return values === undefined ? undefined : { customers: values.customers, seed: values.seed };
}
