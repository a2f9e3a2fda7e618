import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProjectionDiff } from './support/projection-diff.js';
import { crashLoadEvent } from './support/crash-load.js';
import { repoRoot, signal, spawnEngine, type SpawnedEngine } from './support/spawn-engine.js';

/**
 * kill -9 of the engine at random points under concurrent HTTP writes. After every restart,
 * and without a replay, each projection must equal a replay of the log and every acknowledged
 * event must be in the log exactly once. See README, "Reliability".
 */
const CYCLES = Number(process.env.RAPPORT_CRASH_CYCLES ?? 10);
const PRODUCERS = 4;
const BATCH = 60;

const work = mkdtempSync(join(tmpdir(), 'rapport-crash-'));
const dataDir = join(work, 'data');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ENV = {
  // Nothing but ingest: no job may hold the store while the engine is killed.
  RAPPORT_SCHEDULE_SEGMENTS: 'off',
};

/** A seeded generator, so a failing run can be repeated (RAPPORT_CRASH_SEED). */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the comparison in a process of its own, while no engine holds the data directory. */
async function diffNow(acknowledged: Set<string>): Promise<ProjectionDiff> {
  const idsFile = join(work, 'acknowledged.txt');
  writeFileSync(idsFile, [...acknowledged].join('\n'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/support/projection-diff-cli.ts', dataDir, idsFile],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the comparison failed (${code}): ${out}`);
  return JSON.parse(out.trim().split('\n').pop()!) as ProjectionDiff;
}

describe('projections equal the log after any crash, without a replay', () => {
  it(`kill -9 under concurrent writes, ${CYCLES} times`, async () => {
    const next = random(Number(process.env.RAPPORT_CRASH_SEED ?? 20261201));
    const acknowledged = new Set<string>();
    let url: string | undefined;
    let stopping = false;
    let sent = 0;

    /** Sends its batches one after another; a batch goes again until it is acknowledged. */
    async function producer(id: number) {
      for (let round = 0; !stopping; round++) {
        const events = Array.from({ length: BATCH }, (_, index) =>
          crashLoadEvent({ producer: id, round, index, pick: next() }),
        );
        const body = JSON.stringify({ events });
        for (;;) {
          const target = url;
          if (target === undefined) {
            if (stopping) return;
            await sleep(25);
            continue;
          }
          const response = await fetch(`${target}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }).catch(() => undefined);
          const answer = response?.ok
            ? ((await response.json().catch(() => undefined)) as
                { accepted: number; duplicates?: number; rejected: unknown[] } | undefined)
            : undefined;
          if (answer && answer.rejected.length === 0) {
            for (const event of events) acknowledged.add(event.eventId);
            sent += BATCH;
            break;
          }
          if (response && !response.ok && response.status < 500 && response.status !== 429) {
            throw new Error(`a valid batch was refused: ${response.status}`);
          }
          await sleep(10);
        }
      }
    }

    const producers = Array.from({ length: PRODUCERS }, (_, id) => producer(id));
    const figures = { cycles: 0, reinsertedBlocks: 0, repairedAtStart: 0 };
    const diffs: ProjectionDiff[] = [];
    const count = (engine: SpawnedEngine, pattern: RegExp) =>
      engine.logs.filter((line) => pattern.test(line)).length;
    try {
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        // A restart: recovery runs before the engine listens.
        const engine = await spawnEngine({ dataDir, env: ENV });
        figures.reinsertedBlocks += count(engine, /inserted again for the views/);
        figures.repairedAtStart += count(engine, /a projection differed from the event log/);
        url = engine.url;
        // Writes run for a random while, then the process dies mid-flight.
        await sleep(400 + next() * 1200);
        url = undefined;
        signal(engine, 'SIGKILL', { group: true });
        await engine.exited;
        figures.cycles++;

        // Restart: recovery is over once the engine listens. It takes no writes and is killed
        // again, so that another process can read the store as the restart left it.
        const restarted = await spawnEngine({ dataDir, env: ENV });
        figures.reinsertedBlocks += count(restarted, /inserted again for the views/);
        figures.repairedAtStart += count(restarted, /a projection differed from the event log/);
        signal(restarted, 'SIGKILL', { group: true });
        await restarted.exited;
        const diff = await diffNow(acknowledged);
        diffs.push(diff);
        expect({ cycle, ...diff }).toMatchObject({
          cycle,
          lost: 0,
          duplicated: 0,
          profileMismatches: 0,
          mismatches: {
            customer_stats: 0,
            customer_traits: 0,
            identity_links: 0,
            trait_index: 0,
            report_types: 0,
            report_daily: 0,
            report_touches: 0,
            report_keys: 0,
          },
        });
      }
    } finally {
      stopping = true;
      url = undefined;
      await Promise.allSettled(producers);
    }
    const last = diffs[diffs.length - 1]!;
    console.info(
      `crash suite: ${figures.cycles} kill -9 cycles, ${acknowledged.size} events acknowledged ` +
        `(${sent} sent and answered), ${last.events} stored, lost ${last.lost}, duplicated ` +
        `${last.duplicated}, profile mismatches ${diffs.reduce((s, d) => s + d.profileMismatches, 0)} ` +
        `over ${last.profiles} profiles; blocks inserted again at start-up ${figures.reinsertedBlocks}, ` +
        `start-up repairs ${figures.repairedAtStart}`,
    );
    expect(acknowledged.size).toBeGreaterThan(CYCLES * BATCH);
  }, 600_000);
});
