import { parseArgs } from 'node:util';

/** One whole-number option: `--name N`, else the environment variable, else the fallback. */
export interface IntegerOption {
  env: string;
  fallback: number;
  min: number;
  /** One line of help, without the default (added). */
  help: string;
}

export type IntegerSpec = Readonly<Record<string, IntegerOption>>;

/** The options of every benchmark over the generated data set: which one it is. */
export const DATASET_OPTIONS = {
  customers: {
    env: 'BENCH_CUSTOMERS',
    fallback: 1_000_000,
    min: 1,
    help: 'people in the data set',
  },
  seed: { env: 'BENCH_SEED', fallback: 1, min: 1, help: 'seed of the data set' },
} as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The usage text of a benchmark's options, one aligned line each. */
export function usageOf(command: string, spec: IntegerSpec): string {
  const flags = Object.keys(spec).map((name) => `--${name} N`);
  const width = Math.max('--help'.length, ...flags.map((flag) => flag.length));
  const lines = Object.entries(spec).map(
    ([name, { env, fallback, help }]) =>
      `  ${`--${name} N`.padEnd(width)}  ${help} (${fallback}; env ${env})`,
  );
  return `Usage: ${command} -- [options]\n\n${lines.join('\n')}\n  ${'--help'.padEnd(width)}  show this\n`;
}

function integer(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be an integer >= ${min} (got "${raw}")`);
  }
  return value;
}

/**
 * Whole-number options from argv, else the environment, else the defaults, keyed by option
 * name; undefined when --help was asked for. Throws UsageError on an unknown or bad option.
 */
export function parseIntegerOptions<S extends IntegerSpec>(
  spec: S,
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Record<keyof S & string, number> | undefined {
  const flags: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const name of Object.keys(spec)) flags[name] = { type: 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: false, options: flags });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values.help === true) return undefined;
  const values: Record<string, number> = {};
  for (const [name, { env: variable, fallback, min }] of Object.entries(spec)) {
    const given = parsed.values[name];
    const raw = typeof given === 'string' ? given : env[variable];
    values[name] = raw === undefined || raw === '' ? fallback : integer(name, raw, min);
  }
  return values;
}
