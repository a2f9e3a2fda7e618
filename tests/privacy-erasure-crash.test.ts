import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEvent } from '@rapport/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { signal, spawnEngine, type SpawnedEngine } from './support/spawn-engine.js';

// kill -9 while an erasure is under way: the erasure is recorded before it is answered, so
// the next start finds it unfinished and completes it.

const SUBJECT = 'crash-erase-31';
const DEVICE = 'crash-device-31';
const dataDir = mkdtempSync(join(tmpdir(), 'rapport-erasure-crash-'));
let engine: SpawnedEngine | undefined;

afterAll(async () => {
  if (engine) {
    signal(engine, 'SIGKILL');
    await engine.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(`${engine!.url}${path}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('an erasure cut by kill -9', () => {
  it('is completed after the restart', async () => {
    engine = await spawnEngine({ dataDir, env: { RAPPORT_SCHEDULE_SEGMENTS: 'off' } });
    const events = [
      makeEvent('page_view', { customerId: undefined, anonymousId: DEVICE }),
      makeEvent('identify', { customerId: SUBJECT, anonymousId: DEVICE }),
      ...Array.from({ length: 40 }, (_, i) =>
        makeEvent('page_view', {
          customerId: SUBJECT,
          eventId: `crash-view-${i}`,
          timestamp: new Date(Date.UTC(2024, 4, 2, 0, i)).toISOString(),
        }),
      ),
      ...Array.from({ length: 40 }, (_, i) =>
        makeEvent('page_view', { customerId: `crash-other-${i}`, eventId: `crash-other-${i}` }),
      ),
    ];
    const sent = await call('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    expect(sent.status).toBe(200);

    const asked = await call(`/v1/customers/${SUBJECT}`, { method: 'DELETE' });
    expect(asked.status).toBe(202);
    signal(engine, 'SIGKILL');
    await engine.exited;

    engine = await spawnEngine({ dataDir, env: { RAPPORT_SCHEDULE_SEGMENTS: 'off' } });
    const erasureId = String(asked.body.erasureId);
    let status: Record<string, unknown> = {};
    for (let i = 0; i < 600; i++) {
      status = (await call(`/v1/erasures/${erasureId}`)).body;
      if (status.status === 'done' || status.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status.status).toBe('done');
    // The kill came while the erasure was pending or running: the restart resumed it.
    expect(engine.logs.join('\n')).toMatch(/resuming unfinished erasures/);
    expect((await call(`/v1/customers/${SUBJECT}`)).status).toBe(404);
    expect((await call(`/v1/visitors/${DEVICE}`)).status).toBe(404);
    expect((await call('/v1/customers/crash-other-7')).status).toBe(200);
  }, 240_000);
});
