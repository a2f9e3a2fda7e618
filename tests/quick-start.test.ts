import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEvent } from '@rapport/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { signal, spawnEngine } from './support/spawn-engine.js';

/** The engine's own pid, from its JSON log lines (npm start runs it under npm). */
function enginePid(logs: string[]): number {
  for (const line of logs) {
    const match = /"pid":(\d+).*rapport is listening/.exec(line);
    if (match?.[1]) return Number(match[1]);
  }
  throw new Error('no pid in the logs');
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-quick-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the README quick start', () => {
  it('`npm start` serves the engine on the embedded store, takes an event and shuts down cleanly', async () => {
    const engine = await spawnEngine({ dataDir, command: ['npm', 'start'] });
    try {
      expect(engine.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(engine.logs.join('\n')).toMatch(/no API keys configured/);
      const ready = await fetch(`${engine.url}/readyz`);
      expect(ready.status).toBe(200);
      const sent = await fetch(`${engine.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          makeEvent('page_view', { eventId: 'hello-1', customerId: 'newcomer' }),
        ),
      });
      expect(sent.status).toBe(200);
      expect(await sent.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
      const timeline = await fetch(`${engine.url}/v1/customers/newcomer/events`);
      expect(((await timeline.json()) as { events: unknown[] }).events).toHaveLength(1);
    } finally {
      // What Ctrl-C does in a terminal: SIGINT to npm and the engine under it.
      signal(engine, 'SIGINT', { group: true });
    }
    await engine.exited;
    const pid = enginePid(engine.logs);
    await expect.poll(() => isRunning(pid), { timeout: 20_000 }).toBe(false);
    expect(engine.logs.join('\n')).toMatch(/shutting down/);
  }, 120_000);

  it('refuses to start on a public address without API keys', async () => {
    await expect(spawnEngine({ dataDir, env: { RAPPORT_HOST: '0.0.0.0' } })).rejects.toThrow(
      /RAPPORT_HOST: "0.0.0.0" is not a loopback address/,
    );
  }, 60_000);
});
