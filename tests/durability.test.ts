import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEvents } from '@rapport/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { signal, spawnEngine } from './support/spawn-engine.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-durability-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const BATCH = 100;

async function postBatch(url: string, customer: string) {
  const events = makeEvents(BATCH, { prefix: customer, customerId: customer });
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  return response.status;
}

async function storedIds(url: string, customer: string): Promise<string[]> {
  const response = await fetch(`${url}/v1/customers/${customer}/events?limit=1000`);
  const body = (await response.json()) as { events: { eventId: string }[] };
  return body.events.map((event) => event.eventId);
}

describe('nothing acknowledged is lost', () => {
  it('keeps every acknowledged event when the process is killed with SIGKILL right after its acks', async () => {
    const first = await spawnEngine({ dataDir });
    const acknowledged: string[] = [];
    let killed = false;
    // Several producers in flight at once; the process dies at the 15th acknowledgement.
    await Promise.all(
      Array.from({ length: 4 }, async (_, producer) => {
        for (let round = 0; !killed && round < 50; round++) {
          const customer = `dur-${producer}-${round}`;
          const status = await postBatch(first.url, customer).catch(() => 0);
          if (status === 200) {
            acknowledged.push(customer);
            if (acknowledged.length === 15 && !killed) {
              killed = true;
              signal(first, 'SIGKILL', { group: true });
            }
          }
        }
      }),
    );
    expect(await first.exited).toBeNull();
    expect(acknowledged.length).toBeGreaterThanOrEqual(15);

    const second = await spawnEngine({ dataDir });
    try {
      for (const customer of acknowledged) {
        const ids = await storedIds(second.url, customer);
        expect(ids, customer).toHaveLength(BATCH);
        expect(new Set(ids).size).toBe(BATCH);
      }
    } finally {
      signal(second, 'SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 180_000);
});
