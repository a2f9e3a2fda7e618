import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findKafka } from '@rapport/bus/testing';
import { loadConfig } from '@rapport/config';
import { createLogger } from '@rapport/observability';
import { migrationsDir } from '@rapport/schemas';
import { migrate, openStore, type Store } from '@rapport/store';
import { makeEvent } from '@rapport/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createIngestService } from './ingest-service.js';
import { createPipelineService } from './pipeline-service.js';
import type { Service } from './service.js';

/**
 * Consumer lag as an operator sees it: a backlog waits in Kafka while the store holds the
 * pipeline's inserts, the pipeline's /metrics shows it, and it falls to 0 once drained.
 */
const kafka = await findKafka();
if (kafka.skip) console.info(`consumer lag test skipped: ${kafka.skip}`);

const work = mkdtempSync(join(tmpdir(), 'rapport-lag-'));

/** The lag the pipeline's /metrics give for the events topic, summed over its partitions. */
async function reportedLag(pipeline: Service, topic: string): Promise<number | undefined> {
  const metrics = await pipeline.app.inject({ method: 'GET', url: '/metrics' });
  const lines = metrics.body
    .split('\n')
    .filter((line) => line.startsWith(`rapport_bus_consumer_lag_messages{topic="${topic}"`));
  if (lines.length === 0) return undefined;
  return lines.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe.skipIf(kafka.skip !== undefined)('consumer lag in the pipeline’s /metrics', () => {
  // The pipeline service closes the store it was given.
  const open: { services: Service[]; stores: Store[] } = { services: [], stores: [] };
  // Lets a held insert go, so that a test cut short does not leave the pipeline unable to close.
  let release: () => void = () => {};
  afterAll(async () => {
    release();
    for (const service of open.services.reverse()) await service.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows a backlog waiting in Kafka and falls to 0 once it is stored', async () => {
    const run = randomUUID().slice(0, 8);
    const config = loadConfig({
      KAFKA_BROKERS: (await kafka.brokers()).join(','),
      KAFKA_TOPIC_PARTITIONS: '3',
      KAFKA_CONSUMER_GROUP: `lag-${run}`,
      // A topic of its own: other suites publish on the shared broker while this one counts.
      KAFKA_EVENTS_TOPIC: `lag-${run}.events`,
      KAFKA_DEAD_LETTER_TOPIC: `lag-${run}.dlq`,
      RAPPORT_DATA_DIR: join(work, 'data'),
      RAPPORT_LOG_LEVEL: 'silent',
    });
    const logger = createLogger({ level: 'silent' });
    const setup = await openStore(config.store);
    await migrate(setup, migrationsDir);
    await setup.close();

    const ingest = await createIngestService({ config, logger });
    open.services.push(ingest);
    const send = async (from: number, count: number) => {
      for (let sent = from; sent < from + count; sent += 500) {
        const events = Array.from({ length: 500 }, (_, i) =>
          makeEvent('page_view', {
            eventId: `lag-${run}-${sent + i}`,
            customerId: `cust-${run}-${(sent + i) % 40}`,
          }),
        );
        const answer = await ingest.app.inject({
          method: 'POST',
          url: '/v1/events',
          payload: { events },
        });
        expect(answer.statusCode).toBe(200);
      }
    };
    const backlog = 3_000;
    await send(0, backlog);

    // The store holds every insert into `events` until released: the backlog stays in Kafka.
    let released = new Promise<void>((resolve) => (release = resolve));
    const fatal: Error[] = [];
    const pipeline = await createPipelineService({
      config,
      logger,
      onFatal: (error) => fatal.push(error),
      wrapStore: (store) => {
        open.stores.push(store);
        const held = Object.create(store) as Store;
        held.insertJsonLines = async (table, body, options) => {
          if (table === 'events') await released;
          return store.insertJsonLines(table, body, options);
        };
        return held;
      },
    });
    open.services.push(pipeline);

    const waitForLag = async (wanted: (lag: number | undefined) => boolean) => {
      const deadline = performance.now() + 30_000;
      let lag = await reportedLag(pipeline, `lag-${run}.events`);
      while (!wanted(lag) && performance.now() < deadline) {
        await sleep(100);
        lag = await reportedLag(pipeline, `lag-${run}.events`);
      }
      return lag;
    };
    // Read from the brokers when the pipeline starts: every message of the backlog.
    // At least the backlog: a publish retried while the new topic spreads can land twice
    // (the store keeps one; the lag counts both).
    expect(await waitForLag((lag) => (lag ?? 0) >= backlog)).toBeGreaterThanOrEqual(backlog);
    release();
    expect(await waitForLag((lag) => lag === 0)).toBe(0);

    // While the pipeline runs: events arrive and its store stalls; the lag shows them within
    // seconds, not only when the pipeline starts.
    released = new Promise<void>((resolve) => (release = resolve));
    const startedAt = performance.now();
    await send(backlog, 1_000);
    expect(await waitForLag((lag) => (lag ?? 0) >= 1_000)).toBeGreaterThanOrEqual(1_000);
    expect(performance.now() - startedAt).toBeLessThan(8_000);
    release();
    expect(await waitForLag((lag) => lag === 0)).toBe(0);

    const [row] = await open.stores[0]!.query<{ n: number }>(
      'SELECT count() AS n FROM events WHERE startsWith(event_id, {prefix:String})',
      { prefix: `lag-${run}-` },
    );
    expect(Number(row?.n)).toBe(backlog + 1_000);
    expect(fatal).toEqual([]);
    // Joining the group and reading the brokers take longer while other suites share them.
  }, 120_000);
});
