import type { ChildProcess } from 'node:child_process';
import { ENGINE_BIN, runNode } from './child-process.js';

export interface ReplayResult {
  /** Wall time of the `rapport replay` process, start-up and schema check included. */
  seconds: number;
  /** The time the command reports for the rebuild itself. */
  reportedSeconds: number | undefined;
  projections: { table: string; rows: number; seconds: number }[];
  peakRssBytes: number | undefined;
  cpuSeconds: number | undefined;
}

/** `<table> <rows> rows <seconds> s`, one line per rebuilt projection. */
const PROJECTION = /^(\S+)\s+(\d+) rows\s+([\d.]+) s$/;
const TOTAL = /^replayed in ([\d.]+) s$/;

/** Runs `rapport replay` on the embedded store in `dataDir` and reads what it printed. */
export async function runReplay(
  dataDir: string,
  onSpawn?: (child: ChildProcess) => void,
): Promise<ReplayResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir };
  delete env.CLICKHOUSE_URL;
  const run = await runNode([ENGINE_BIN, 'replay'], {
    env,
    label: 'rapport replay',
    ...(onSpawn ? { onSpawn } : {}),
  });
  const projections: ReplayResult['projections'] = [];
  let reportedSeconds: number | undefined;
  for (const line of run.stdout.split('\n')) {
    const projection = PROJECTION.exec(line.trim());
    if (projection) {
      projections.push({
        table: projection[1]!,
        rows: Number(projection[2]),
        seconds: Number(projection[3]),
      });
    }
    const total = TOTAL.exec(line.trim());
    if (total) reportedSeconds = Number(total[1]);
  }
  if (projections.length === 0) {
    throw new Error(`rapport replay printed no projection:\n${run.stdout.slice(-2000)}`);
  }
  return {
    seconds: run.seconds,
    reportedSeconds,
    projections,
    peakRssBytes: run.peakRssBytes,
    cpuSeconds: run.cpuSeconds,
  };
}
