import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const shutdownModule = fileURLToPath(new URL('./shutdown.ts', import.meta.url));

/** Runs a script in a child process (TypeScript imports allowed) and times its end. */
async function runChild(script: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = performance.now();
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal, seconds: (performance.now() - started) / 1000, stderr };
}

describe('armShutdownDeadline', () => {
  it('exits with 1 once the grace period is over, after saying so', async () => {
    const result = await runChild(`
      import { armShutdownDeadline } from ${JSON.stringify(shutdownModule)};
      armShutdownDeadline(300, () => process.stderr.write('grace period over\\n'));
      setInterval(() => {}, 1000); // work that never ends
    `);
    expect(result).toMatchObject({ code: 1, signal: null, stderr: 'grace period over\n' });
  }, 30_000);

  it('ends the process even when its main thread is stuck in a synchronous wait', async () => {
    // What pino's synchronous stdout does when its reader stops reading: Atomics.wait.
    const result = await runChild(`
      import { armShutdownDeadline } from ${JSON.stringify(shutdownModule)};
      armShutdownDeadline(300, () => {});
      await new Promise((resolve) => setTimeout(resolve, 100));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    `);
    expect(result.signal).toBe('SIGKILL');
    // Grace period, the watchdog's 2 s margin, and the start of a TypeScript child.
    expect(result.seconds).toBeLessThan(10);
  }, 30_000);
});
