import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { ENGINE_BIN, REPO_ROOT } from './child-process.js';
import { cpuSecondsOf, peakRssBytes } from './process-stats.js';

const LISTENING = 'rapport is listening on ';
const ERROR_LEVEL = 50;
/** Set for every run; other RAPPORT_* variables pass through from the environment. */
const FIXED = ['RAPPORT_DATA_DIR', 'RAPPORT_HOST', 'RAPPORT_PORT', 'RAPPORT_LOG_LEVEL'];

/** The engine settings this environment passes to the benchmark's engine (no secrets). */
export function inheritedEngineSettings(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[0].startsWith('RAPPORT_') &&
        !FIXED.includes(entry[0]) &&
        entry[0] !== 'RAPPORT_API_KEYS' &&
        entry[1] !== undefined,
    ),
  );
}

interface LogLine {
  level?: number;
  msg?: string;
  address?: string;
}

function parseLogLine(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
}

export interface EngineProcess {
  /** http://127.0.0.1:PORT */
  origin: string;
  pid: number;
  /** The engine's peak resident set size so far (bytes), while it runs. */
  peakRssBytes(): number | undefined;
  /** CPU seconds the engine has used so far, all threads. */
  cpuSeconds(): number | undefined;
  /** SIGTERM, then waits for a clean exit; throws if it does not exit 0. */
  stop(): Promise<void>;
  /**
   * When the engine has exited without being stopped: how (its exit code or signal) and its
   * last lines; undefined while it runs.
   */
  died(): string | undefined;
}

/** Keeps the last lines a child printed, for error messages. */
function tail(limit: number) {
  const lines: string[] = [];
  return {
    push(line: string) {
      lines.push(line);
      if (lines.length > limit) lines.shift();
    },
    text: () => lines.join('\n'),
  };
}

function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.exitCode ?? child.signalCode ?? 'unknown');
  }
  return once(child, 'exit').then(([code, signal]) => (code as number | null) ?? String(signal));
}

/**
 * Node options for the engine alone, from BENCH_ENGINE_NODE_ARGS (space-separated): to profile
 * it, say `--cpu-prof --cpu-prof-dir=/tmp/engine-profile` (NODE_OPTIONS refuses `--cpu-prof`).
 */
function engineNodeArgs(): string[] {
  return (process.env.BENCH_ENGINE_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
}

/** Log lines at error level or above, as pino writes them: `{"level":50,…` or 60. */
const ERROR_LINE = /^\{"level":[56]\d\b/;

/**
 * Starts `rapport start` on a loopback port with an embedded store in `dataDir`, as a user
 * would (log level info, which also logs the address it resolves with once announced).
 */
export async function startEngine(options: {
  dataDir: string;
  /** The command line's entry point (default the TypeScript sources; `npm start` runs a bundle). */
  entry?: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
  onSpawn?: (child: ChildProcess) => void;
}): Promise<EngineProcess> {
  const env: NodeJS.ProcessEnv = {
    // Benchmarks measure the engine, not its rate limits (10,000 a second by default, which a
    // load generator on loopback passes); a limit set in this shell still applies.
    RAPPORT_RATE_LIMIT_READ: '0',
    RAPPORT_RATE_LIMIT_INGEST: '0',
    ...process.env,
    RAPPORT_DATA_DIR: options.dataDir,
    RAPPORT_HOST: '127.0.0.1',
    RAPPORT_PORT: '0',
    RAPPORT_LOG_LEVEL: 'info',
    ...options.env,
  };
  // The embedded store, without authentication, whatever this shell has set.
  delete env.CLICKHOUSE_URL;
  delete env.RAPPORT_API_KEYS;

  const child = spawn(
    process.execPath,
    [...engineNodeArgs(), options.entry ?? ENGINE_BIN, 'start'],
    {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  options.onSpawn?.(child);
  const output = tail(30);
  const errors = tail(5);
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));

  // Every stdout line is read (a full pipe would stall the engine); only the address counts.
  // Once it listens, a line is parsed only when it is an error: under load the engine logs
  // every request, and parsing each line would take CPU from the engine being measured.
  let listening = false;
  const address = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      if (listening) {
        if (ERROR_LINE.test(line)) errors.push(line.slice(0, 600));
        return;
      }
      const entry = parseLogLine(line);
      if (entry === undefined) return;
      if ((entry.level ?? 0) >= ERROR_LEVEL) errors.push(line.slice(0, 600));
      if (entry.msg?.startsWith(LISTENING) && typeof entry.address === 'string') {
        listening = true;
        resolve(entry.address);
      }
    });
    void exited(child).then((code) =>
      reject(new Error(`the engine exited (${code}) before listening:\n${output.text()}`)),
    );
  });
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`the engine did not listen within ${timeoutMs} ms:\n${output.text()}`)),
      timeoutMs,
    );
  });
  let origin: string;
  try {
    origin = await Promise.race([address, timeout]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }

  const pid = child.pid!;
  return {
    origin,
    pid,
    peakRssBytes: () => peakRssBytes(pid),
    cpuSeconds: () => cpuSecondsOf(pid),
    died() {
      const how = child.signalCode ?? child.exitCode;
      if (how === null) return undefined;
      return `the engine exited (${how}); its last lines:\n${output.text()}`;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const stopTimer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited(child);
      clearTimeout(stopTimer);
      if (code !== 0) {
        throw new Error(`the engine exited with ${code}; its last lines:\n${output.text()}`);
      }
      if (errors.text() !== '') {
        process.stderr.write(`the engine logged errors:\n${errors.text()}\n`);
      }
    },
  };
}
