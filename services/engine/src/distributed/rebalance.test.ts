import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findKafka } from '@rapport/bus/testing';
import { loadConfig } from '@rapport/config';
import { createLogger } from '@rapport/observability';
import { migrationsDir } from '@rapport/schemas';
import { chunkForUrl, migrate, openStore, type Store } from '@rapport/store';
import { makeEvent } from '@rapport/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createIngestService } from './ingest-service.js';
import { createPipelineService } from './pipeline-service.js';
import type { Service } from './service.js';

/**
 * Pipeline members joining and leaving the consumer group while events flow: each
 * rebalance moves partitions between members, and every event is stored once.
 */
const kafka = await findKafka();
if (kafka.skip) console.info(`Kafka rebalance test skipped: ${kafka.skip}`);

const work = mkdtempSync(join(tmpdir(), 'rapport-rebalance-'));

describe.skipIf(kafka.skip !== undefined)('pipeline members joining and leaving', () => {
  const open: { services: Service[]; store?: Store } = { services: [] };
  afterAll(async () => {
    for (const service of open.services.reverse()) await service.close();
    await open.store?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('store every event once through three rebalances', async () => {
    const run = randomUUID().slice(0, 8);
    const config = loadConfig({
      KAFKA_BROKERS: (await kafka.brokers()).join(','),
      KAFKA_TOPIC_PARTITIONS: '3',
      KAFKA_CONSUMER_GROUP: `rebalance-${run}`,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      RAPPORT_DATA_DIR: join(work, 'data'),
      RAPPORT_LOG_LEVEL: 'silent',
    });
    const logger = createLogger({ level: 'silent' });
    // Members of one process share its store: an embedded store belongs to one process.
    const store = await openStore(config.store);
    open.store = store;
    await migrate(store, migrationsDir);
    const ingest = await createIngestService({ config, logger });
    open.services.push(ingest);
    const fatal: Error[] = [];
    const member = async () => {
      const service = await createPipelineService({
        config,
        logger,
        onFatal: (error) => fatal.push(error),
      });
      open.services.push(service);
      return service;
    };

    /** Waits until the group has this many members, each with partitions of its own. */
    const admin = new Kafka({
      brokers: [...config.kafka!.brokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const members: number[] = [];
    const groupOf = async (count: number) => {
      // A member joins once the others finish their batch in hand and rejoin (kafkajs gives
      // them up to its 60 s rebalance timeout): on busy cores that takes longer than 30 s.
      const deadline = performance.now() + 75_000;
      for (;;) {
        const { groups } = await admin.describeGroups([config.kafka!.consumerGroup]);
        const group = groups[0];
        const assigned = group?.members.filter((m) => m.memberAssignment.length > 0).length ?? 0;
        if ((group?.state === 'Stable' && assigned === count) || performance.now() > deadline) {
          members.push(assigned);
          return;
        }
        await sleep(100);
      }
    };

    const sent: string[] = [];
    const acknowledged = new Set<string>();
    let producing = true;
    const producer = (async () => {
      for (let request = 0; producing; request++) {
        const events = Array.from({ length: 100 }, (_, n) =>
          makeEvent('click', { eventId: `${run}-${request}-${n}`, customerId: `${run}-${n % 30}` }),
        );
        sent.push(...events.map((event) => String(event.eventId)));
        const answer = await ingest.app.inject({
          method: 'POST',
          url: '/v1/events',
          payload: { events },
        });
        if (answer.statusCode === 200) events.forEach((e) => acknowledged.add(String(e.eventId)));
        await sleep(10);
      }
    })();
    try {
      const first = await member();
      await groupOf(1);
      await sleep(1000);
      await member(); // joins: the partitions are shared between two
      await groupOf(2);
      await sleep(1000);
      await member(); // joins: one partition each
      await groupOf(3);
      await sleep(1000);
      await first.close(); // leaves while events flow: its partition moves
      open.services.splice(open.services.indexOf(first), 1);
      await groupOf(2);
      await sleep(1000);
    } finally {
      producing = false;
      await producer;
      await admin.disconnect();
    }

    const counts = async () => {
      let distinct = 0;
      let rows = 0;
      for (const chunk of chunkForUrl(sent)) {
        const [row] = await store.query<{ distinct: number; rows: number }>(
          'SELECT uniqExact(event_id) AS distinct, count() AS rows FROM events WHERE event_id IN {ids:Array(String)}',
          { ids: chunk },
        );
        distinct += Number(row?.distinct ?? 0);
        rows += Number(row?.rows ?? 0);
      }
      return { distinct, rows };
    };
    const deadline = performance.now() + 90_000;
    while ((await counts()).distinct < acknowledged.size && performance.now() < deadline) {
      await sleep(250);
    }
    const result = await counts();
    console.info(
      `rebalance: ${sent.length} events sent, ${acknowledged.size} acknowledged, ` +
        `${result.distinct} stored, ${result.rows - result.distinct} stored twice`,
    );
    expect(fatal).toEqual([]);
    expect(members).toEqual([1, 2, 3, 2]);
    expect(result).toEqual({ distinct: acknowledged.size, rows: acknowledged.size });
  }, 420_000);
});
