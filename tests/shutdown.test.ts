import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, spawnEngine } from './support/spawn-engine.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-shutdown-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const GRACE_MS = 3000;

/** Starts the engine with its stdout read until it listens, and never again after that. */
async function engineWithStalledLogReader() {
  const child = spawn(process.execPath, ['services/engine/bin/rapport.js', 'start'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      RAPPORT_DATA_DIR: dataDir,
      RAPPORT_PORT: '0',
      RAPPORT_LOG_LEVEL: 'debug',
      RAPPORT_SHUTDOWN_GRACE_MS: String(GRACE_MS),
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /rapport is listening on (http:\/\/[^"\s]+)/.exec(seen);
      if (!match?.[1]) return;
      child.stdout.off('data', onData);
      child.stdout.pause();
      resolve(match[1]);
    };
    child.stdout.on('data', onData);
    void exited.then(() => reject(new Error(`the engine exited before listening:\n${seen}`)));
  });
  return { child, url, exited };
}

describe('shutdown', () => {
  it('ends within the grace period while the log reader has stopped reading, and frees the store', async () => {
    const engine = await engineWithStalledLogReader();
    // Every request writes log lines: go on until the log pipe is full and a write waits.
    let stalled = false;
    for (let request = 0; request < 50_000 && !stalled; request++) {
      const started = performance.now();
      const response = await fetch(`${engine.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"events": 1}',
        signal: AbortSignal.timeout(10_000),
      });
      expect(response.status).toBe(400);
      await response.arrayBuffer();
      stalled = performance.now() - started > 500;
    }
    expect(stalled).toBe(true);

    const signalled = performance.now();
    engine.child.kill('SIGTERM');
    const [code, signal] = await engine.exited;
    const seconds = (performance.now() - signalled) / 1000;
    expect(signal === null || signal === 'SIGKILL').toBe(true);
    expect(code === 0 || code === 1 || signal === 'SIGKILL').toBe(true);
    expect(seconds).toBeLessThan(GRACE_MS / 1000 + 3);

    // The data directory's lock went with the process: the next engine starts on it.
    const next = await spawnEngine({ dataDir });
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  }, 120_000);
});
