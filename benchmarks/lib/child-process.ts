import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { watchProcess } from './process-stats.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The `rapport` command line, run from the TypeScript sources as a user runs it. */
export const ENGINE_BIN = fileURLToPath(
  new URL('../../services/engine/bin/rapport.js', import.meta.url),
);

export interface ChildRun {
  /** Everything the child printed on standard output. */
  stdout: string;
  /** The last lines of its standard error (all of it when `stderr` is 'capture'). */
  stderr: string;
  /** Wall time from spawn to exit. */
  seconds: number;
  /** Its peak resident set size (VmHWM), followed while it ran. */
  peakRssBytes: number | undefined;
  /** CPU seconds it used, all threads, as last seen. */
  cpuSeconds: number | undefined;
}

export class ChildFailedError extends Error {
  override readonly name = 'ChildFailedError';
}

/**
 * Runs `node <args>` from the repository root as a process of its own and waits for it to
 * exit, following its memory and CPU. Rejects when it exits other than 0, with its last output.
 * `stderr: 'inherit'` passes its standard error (progress lines) through to ours.
 */
export async function runNode(
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    stderr?: 'inherit' | 'capture';
    onSpawn?: (child: ChildProcess) => void;
    label?: string;
  } = {},
): Promise<ChildRun> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', options.stderr === 'inherit' ? 'inherit' : 'pipe'],
  });
  options.onSpawn?.(child);
  const watch = child.pid === undefined ? undefined : watchProcess(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  // Read the last figures while the process still exists: 'exit' comes after it is gone.
  let last: ReturnType<NonNullable<typeof watch>['stop']> | undefined;
  child.once('exit', () => (last = watch?.stop()));
  // 'close' comes after the last of its output, unlike 'exit'.
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  const seconds = (performance.now() - started) / 1000;
  last ??= watch?.stop();
  if (code !== 0) {
    const label = options.label ?? args.join(' ');
    throw new ChildFailedError(
      `${label} failed (${code ?? signal}):\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`,
    );
  }
  return {
    stdout,
    stderr,
    seconds,
    peakRssBytes: last?.peakRssBytes,
    cpuSeconds: last?.cpuSeconds,
  };
}

/** Runs a TypeScript entry script of the benchmarks (through tsx) as its own process. */
export function runScript(
  script: string,
  args: readonly string[],
  options: Parameters<typeof runNode>[1] = {},
): Promise<ChildRun> {
  return runNode(['--import', 'tsx', script, ...args], options);
}

/** The one line of standard output that starts with `{"<key>":`, parsed. */
export function resultLine<T>(stdout: string, key: string): T {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(`{"${key}":`)) continue;
    return (JSON.parse(line) as Record<string, T>)[key]!;
  }
  throw new Error(`no "${key}" result in the output:\n${stdout.slice(-2000)}`);
}

/** Children to stop when the benchmark is interrupted, and a handler that stops them. */
export function trackChildren() {
  const children = new Set<ChildProcess>();
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // Let the children stop, then unwind through the callers' clean-up.
      interrupted = true;
      for (const child of children) child.kill('SIGTERM');
    });
  }
  return {
    track: (child: ChildProcess) => {
      children.add(child);
      child.once('exit', () => children.delete(child));
    },
    interrupted: () => interrupted,
  };
}
