import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEvents } from '@rapport/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { signal, spawnEngine, type SpawnedEngine } from './support/spawn-engine.js';

// The engine's local copy of the profile rows, damaged while the engine is stopped: the next
// start deletes it unread and serves the same profiles, rather than dying (or hanging) in LMDB.

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-mirror-damage-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const MIRROR = join(dataDir, 'profile-mirror.mdb');
/** No profile cache: every read is served by the local copy, or by the store when it cannot. */
const env = { RAPPORT_PROFILE_CACHE_MB: '0' };

async function profile(url: string, id: string): Promise<unknown> {
  const response = await fetch(`${url}/v1/customers/${id}`);
  expect(response.status, id).toBe(200);
  return response.json();
}

const mirroredReads = async (url: string) => {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(
    /^rapport_profile_rows_reads_total\{result="mirrored"\} (\d+)/m.exec(metrics)?.[1] ?? 0,
  );
};

/** Waits until a read of `id` is served from the local copy (its row is current there). */
async function servedFromMirror(url: string, id: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const before = await mirroredReads(url);
    await profile(url, id);
    if ((await mirroredReads(url)) > before) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${id} was not served from the local copy within 30 s`);
}

async function stop(engine: SpawnedEngine): Promise<void> {
  signal(engine, 'SIGTERM');
  expect(await engine.exited).toBe(0);
}

describe('a damaged profile rows mirror', () => {
  it('is deleted unread at the next start, with a warning, and the profiles are served as before', async () => {
    const first = await spawnEngine({ dataDir, env });
    let before: unknown;
    try {
      const events = makeEvents(40, { prefix: 'mirror-ada', customerId: 'ada' });
      const response = await fetch(`${first.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      expect(response.status).toBe(200);
      await servedFromMirror(first.url, 'ada');
      before = await profile(first.url, 'ada');
    } finally {
      await stop(first);
    }
    // The clean stop handed the copy on, sealed.
    expect(existsSync(`${MIRROR}.seal`)).toBe(true);

    // Each page's head overwritten: LMDB reading it would kill the process.
    const bytes = readFileSync(MIRROR);
    for (let at = 0; at < bytes.length; at += 4096) bytes.fill(0x5a, at, at + 64);
    writeFileSync(MIRROR, bytes);

    const second = await spawnEngine({ dataDir, env });
    try {
      expect(second.logs.join('\n')).toContain(
        'profile rows mirror file was not as its last clean stop left it',
      );
      expect(await profile(second.url, 'ada')).toEqual(before);
      await servedFromMirror(second.url, 'ada');
      expect(await profile(second.url, 'ada')).toEqual(before);
    } finally {
      await stop(second);
    }
  }, 180_000);
});
