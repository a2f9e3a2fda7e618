import { UsageError } from './options.js';

/**
 * The entry of a benchmark script: parse the options (usage on `--help`, exit 2 on a bad
 * option), run, and exit 1 on failure or 130 when interrupted.
 */
export async function runBenchmark<O>(options: {
  name: string;
  usage: string;
  parse: () => O | undefined;
  run: (options: O) => Promise<void>;
  interrupted: () => boolean;
}): Promise<void> {
  let parsed: O | undefined;
  try {
    parsed = options.parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${options.usage}`);
    process.exitCode = 2;
    return;
  }
  if (parsed === undefined) {
    process.stdout.write(options.usage);
    return;
  }
  try {
    await options.run(parsed);
    if (options.interrupted()) process.exitCode = 130;
  } catch (error) {
    const why = options.interrupted()
      ? 'interrupted'
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
    process.stderr.write(`${options.name} failed: ${why}\n`);
    process.exitCode = options.interrupted() ? 130 : 1;
  }
}
