import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BusUnavailableError, InProcessBus, toBusMessage } from '@rapport/bus';
import { Metrics } from '@rapport/observability';
import { startPipeline, type Pipeline } from '@rapport/pipeline';
import { FaultyStore, type WriteFault } from '@rapport/pipeline/testing';
import { migrationsDir } from '@rapport/schemas';
import { migrate, type Store } from '@rapport/store';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashLoadStoredEvent } from './support/crash-load.js';
import { diffAgainstReplay, opener, type ProjectionDiff } from './support/projection-diff.js';

/**
 * The crash suite's load through the real pipeline and engine, with a store fault injected
 * into one insert of every cycle — most between the `events` part and the views. A fault that
 * is not retriable ends the "process": a new pipeline starts on the same store, as a supervisor
 * would start the engine. After every cycle, without a replay, the projections must equal a
 * replay of the log and every acknowledged event must be stored exactly once.
 */
const FAULTS: WriteFault[] = [
  'view-fails',
  'view-timeout',
  'crash-before-views',
  'crash-mid-batch',
  'crash-after-insert',
  'crash-before-insert',
  'ack-lost',
];
const CYCLES = 14;
const PRODUCERS = 4;
const ROUNDS = 4;
const BATCH = 40;

let dir: string;
let store: Store;
const open = (database: string) => opener(join(dir, 'data'))(database);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-faults-'));
  store = await open('rapport');
  await migrate(store, migrationsDir);
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Process {
  bus: InProcessBus;
  pipeline: Pipeline;
  generation: number;
}

describe('projections equal the log after a store fault between events and a view', () => {
  it(`${CYCLES} cycles of concurrent writes, each with a fault`, async () => {
    const faulty = new FaultyStore(store);
    const acknowledged = new Set<string>();
    const start = async (generation: number): Promise<Process> => {
      const bus = new InProcessBus();
      const pipeline = await startPipeline({
        store: faulty,
        bus,
        logger: pino({ level: 'silent' }),
        metrics: new Metrics({ processMetrics: false }),
        batch: { maxRows: 150, flushIntervalMs: 2, maxQueueRows: 100_000 },
      });
      return { bus, pipeline, generation };
    };
    let current = await start(0);
    let restarting: Promise<void> | undefined;
    /** A crash: the process is gone with what it held; the next one starts on the same store. */
    const crashed = (generation: number) => {
      if (current.generation !== generation) return restarting;
      restarting ??= (async () => {
        await current.bus.close();
        current = await start(generation + 1);
        restarting = undefined;
      })();
      return restarting;
    };
    const restarts = { count: 0 };
    const diffs: ProjectionDiff[] = [];

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const fault = FAULTS[cycle % FAULTS.length]!;
      const before = faulty.inserts.length;
      // The fault lands on an insert some way into the cycle's load.
      setTimeout(() => faulty.failNext(fault), 5 + ((cycle * 37) % 60));
      await Promise.all(
        Array.from({ length: PRODUCERS }, async (_, producer) => {
          for (let round = 0; round < ROUNDS; round++) {
            const events = Array.from({ length: BATCH }, (_, index) =>
              crashLoadStoredEvent({
                producer,
                round: cycle * ROUNDS + round,
                index,
                pick: ((producer * 7919 + round * 104729 + index * 31) % 997) / 997,
              }),
            );
            // A restart on a busy machine can take seconds: "unavailable" is waited out.
            const restartDeadline = Date.now() + 120_000;
            for (let failures = 0; ;) {
              const process = current;
              try {
                await process.bus.publish(events.map(toBusMessage));
                events.forEach((event) => acknowledged.add(event.event_id));
                break;
              } catch (error) {
                const waiting = error instanceof BusUnavailableError;
                if (waiting ? Date.now() > restartDeadline : ++failures > 20) throw error;
                if (waiting) await sleep(10);
                else {
                  restarts.count++;
                  await crashed(process.generation);
                }
              }
            }
          }
        }),
      );
      expect(faulty.inserts.slice(before).some((insert) => insert.fault === fault)).toBe(true);
      // Every cycle ends with a restart, as after a crash, and the comparison.
      await crashed(current.generation);
      const diff = await diffAgainstReplay(store, { acknowledged, open });
      diffs.push(diff);
      expect({ cycle, fault, ...diff }).toMatchObject({
        cycle,
        fault,
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
    await current.bus.close();
    await current.pipeline.stop();
    const last = diffs[diffs.length - 1]!;
    console.info(
      `store-fault suite: ${CYCLES} cycles (${FAULTS.join(', ')}), ${acknowledged.size} events ` +
        `acknowledged, ${last.events} stored, lost ${last.lost}, duplicated ${last.duplicated}, ` +
        `profile mismatches ${diffs.reduce((s, d) => s + d.profileMismatches, 0)} over ` +
        `${last.profiles} profiles, ${restarts.count} crashed publishes`,
    );
  }, 300_000);
});
