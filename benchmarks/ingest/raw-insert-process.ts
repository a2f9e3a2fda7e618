import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { IngestBenchOptions } from './options.js';

export interface RawInsertResult {
  rows: number;
  inserts: number;
  /** Rows per insert (the last may hold fewer). */
  batchRows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssBytes: number | undefined;
  /** CPU seconds used while inserting (all threads of the raw process). */
  cpuSeconds: number;
  /** The part of cpuSeconds spent in the kernel. */
  kernelCpuSeconds: number;
  /**
   * CPU seconds of the ingest steps before the inserts (not part of the rate): the timed
   * events' request bodies parsed, validated, normalised and encoded as rows.
   */
  ingestStepsCpuSeconds: number;
}

const RAW_INSERT = fileURLToPath(new URL('./raw-insert.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs raw-insert.ts in a child process (an embedded store per process) on a fresh store
 * in `dataDir`, and returns what it measured.
 */
export async function measureRawInsert(
  options: IngestBenchOptions,
  dataDir: string,
  onSpawn?: (child: ChildProcess) => void,
  into: {
    /** `events` with its projection and views (default), or a plain MergeTree of its columns. */
    table?: 'events' | 'events_plain';
    /** Rows per insert (default --raw-batch-rows). */
    batchRows?: number;
  } = {},
): Promise<RawInsertResult> {
  const args = [
    ...['--events', String(options.events)],
    ...['--warmup-events', String(options.warmupBatches * options.batchSize)],
    ...['--seed', String(options.seed)],
    ...['--batch-size', String(options.batchSize)],
    ...['--batch-rows', String(into.batchRows ?? options.rawBatchRows)],
    ...['--data-dir', dataDir],
    ...['--table', into.table ?? 'events'],
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', RAW_INSERT, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onSpawn?.(child);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  // 'close' comes after the last of its output, unlike 'exit'.
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  if (code !== 0) {
    throw new Error(`the raw insert process failed (${code ?? signal}):\n${stdout.slice(-2000)}`);
  }
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{"rawInsert"')) continue;
    return (JSON.parse(line) as { rawInsert: RawInsertResult }).rawInsert;
  }
  throw new Error(`the raw insert process printed no result:\n${stdout.slice(-2000)}`);
}
