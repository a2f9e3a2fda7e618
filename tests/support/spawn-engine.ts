import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface SpawnedEngine {
  child: ChildProcess;
  url: string;
  /** Every log line the process printed so far. */
  logs: string[];
  exited: Promise<number | null>;
}

/**
 * Starts the engine as a separate process, as a user would, and resolves once it listens.
 * `command` defaults to the CLI; pass ['npm', 'start'] to run the README's command.
 */
export async function spawnEngine(options: {
  dataDir: string;
  env?: Record<string, string>;
  command?: string[];
}): Promise<SpawnedEngine> {
  const [command, ...args] = options.command ?? [
    process.execPath,
    'services/engine/bin/rapport.js',
    'start',
  ];
  const child = spawn(command!, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      RAPPORT_DATA_DIR: options.dataDir,
      RAPPORT_PORT: '0',
      RAPPORT_LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const logs: string[] = [];
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no listening line in 90 s:\n${logs.join('\n')}`)),
      90_000,
    );
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        const match = /rapport is listening on (http:\/\/[^"\s]+)/.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the engine exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  });
  return { child, url: await listening, logs, exited };
}

/**
 * Sends a signal to the process, or with `group` to it and everything it started (SIGKILL
 * must reach the node process that npm start runs; npm forwards SIGTERM itself).
 */
export function signal(
  engine: SpawnedEngine,
  name: NodeJS.Signals,
  options = { group: false },
): void {
  const pid = engine.child.pid;
  if (pid !== undefined) process.kill(options.group ? -pid : pid, name);
}
