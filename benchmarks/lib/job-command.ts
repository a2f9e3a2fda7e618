import type { ChildProcess } from 'node:child_process';
import { ENGINE_BIN, runNode } from './child-process.js';

export interface JobCommandResult {
  runId: string;
  status: string;
  /** Rows the run wrote, as it reports them. */
  rows: number;
  phases: { name: string; seconds: number }[];
  /** The run's own total: from its start to its end as recorded. */
  totalSeconds: number;
  summary: Record<string, unknown>;
  /** Wall time of the whole `rapport jobs run` process: start-up, schema check, run. */
  processSeconds: number;
  peakRssBytes: number | undefined;
  cpuSeconds: number | undefined;
}

/**
 * Runs `rapport jobs run <job> [--as-of D]` on the embedded store in `dataDir` as a user
 * does, in a process of its own, and reads the summary it prints:
 * `run`, `status`, `rows`, one `phase <name> <s> s` a phase, `total <s> s`, `summary {…}`.
 */
export async function runJobCommand(
  dataDir: string,
  job: string,
  args: readonly string[],
  onSpawn?: (child: ChildProcess) => void,
): Promise<JobCommandResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir };
  delete env.CLICKHOUSE_URL;
  delete env.RAPPORT_URL;
  const run = await runNode([ENGINE_BIN, 'jobs', 'run', job, ...args], {
    env,
    label: `rapport jobs run ${job}`,
    ...(onSpawn ? { onSpawn } : {}),
  });
  const field = (name: string) =>
    run.stdout
      .split('\n')
      .find((line) => line.startsWith(`${name.padEnd(10)}`))
      ?.slice(10)
      .trim();
  const phases = run.stdout
    .split('\n')
    .map((line) => /^phase\s+(\S+)\s+([\d.]+) s$/.exec(line.trim()))
    .filter((match) => match !== null)
    .map((match) => ({ name: match[1]!, seconds: Number(match[2]) }));
  const runId = field('run');
  const status = field('status');
  if (runId === undefined || status === undefined) {
    throw new Error(`rapport jobs run ${job} printed no summary:\n${run.stdout.slice(-2000)}`);
  }
  const summary = field('summary');
  return {
    runId,
    status,
    rows: Number(field('rows')),
    phases,
    totalSeconds: Number(/^([\d.]+) s$/.exec(field('total') ?? '')?.[1]),
    summary: summary ? (JSON.parse(summary) as Record<string, unknown>) : {},
    processSeconds: run.seconds,
    peakRssBytes: run.peakRssBytes,
    cpuSeconds: run.cpuSeconds,
  };
}
