import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { ENGINE_BIN, REPO_ROOT } from '../lib/child-process.js';
import { cpuSecondsOf, peakRssBytes } from '../lib/process-stats.js';

const BROKER = 'infra/kafka/broker.mjs';
const PIPELINE = 'services/engine/src/distributed/testing/pipeline-process.ts';

/** A child process of the benchmark that announced where it serves. */
export interface Started {
  /** What it announced: the brokers, or http://127.0.0.1:PORT. */
  address: string;
  pid: number;
  cpuSeconds(): number | undefined;
  peakRssBytes(): number | undefined;
  /** SIGTERM, then SIGKILL after 60 s; resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Spawns `node <args>` from the repository root and resolves once a line of its standard
 * output matches `ready` (the first group is its address); fails with its last lines when it
 * exits or takes longer than `timeoutMs`.
 */
async function spawnUntil(options: {
  label: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  ready: RegExp;
  timeoutMs: number;
  onSpawn: (child: ChildProcess) => void;
}): Promise<Started> {
  const child = spawn(process.execPath, options.args, {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onSpawn(child);
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line.slice(0, 400));
    if (lines.length > 20) lines.shift();
  };
  createInterface({ input: child.stderr }).on('line', keep);
  let timer: NodeJS.Timeout | undefined;
  const exited = once(child, 'exit');
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let found = false;
      // Every line is read (a full pipe would stall the child); only the first match counts.
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (found) return;
        keep(line);
        const match = options.ready.exec(line);
        if (match?.[1]) {
          found = true;
          resolve(match[1]);
        }
      });
      void exited.then(() =>
        reject(new Error(`${options.label} exited before it was ready:\n${lines.join('\n')}`)),
      );
      timer = setTimeout(
        () => reject(new Error(`${options.label} was not ready in time:\n${lines.join('\n')}`)),
        options.timeoutMs,
      );
    });
    const pid = child.pid!;
    return {
      address,
      pid,
      cpuSeconds: () => cpuSecondsOf(pid),
      peakRssBytes: () => peakRssBytes(pid),
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.kill('SIGTERM');
        await exited;
        clearTimeout(kill);
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Apache Kafka's broker on 127.0.0.1, its data in a temporary directory removed on stop. */
export function startBroker(onSpawn: (child: ChildProcess) => void): Promise<Started> {
  return spawnUntil({
    label: 'the Kafka broker',
    args: [BROKER, 'start'],
    env: process.env,
    ready: /^KAFKA_BROKERS=(\S+)/,
    timeoutMs: 180_000,
    onSpawn,
  });
}

function serviceEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_HOST: '127.0.0.1', RAPPORT_PORT: '0' };
  delete env.CLICKHOUSE_URL;
  delete env.RAPPORT_API_KEYS;
  return { ...env, ...extra };
}

/** `rapport ingest`: HTTP in, Kafka out. */
export function startIngest(options: {
  kafka: Record<string, string>;
  onSpawn: (child: ChildProcess) => void;
}): Promise<Started> {
  return spawnUntil({
    label: 'rapport ingest',
    args: [ENGINE_BIN, 'ingest'],
    env: serviceEnv({ ...options.kafka, RAPPORT_LOG_LEVEL: 'info' }),
    ready: /rapport ingest is listening on (http:\/\/[\d.:]+)/,
    timeoutMs: 60_000,
    onSpawn: options.onSpawn,
  });
}

/** One pipeline process (one member of the consumer group) on an embedded store. */
export function startPipeline(options: {
  kafka: Record<string, string>;
  dataDir: string;
  onSpawn: (child: ChildProcess) => void;
}): Promise<Started> {
  return spawnUntil({
    label: 'the pipeline',
    args: ['--import', 'tsx', PIPELINE, 'run'],
    env: serviceEnv({ ...options.kafka, RAPPORT_DATA_DIR: options.dataDir }),
    ready: /^pipeline listening on (http:\/\/\S+)/,
    timeoutMs: 120_000,
    onSpawn: options.onSpawn,
  });
}
