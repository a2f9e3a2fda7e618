import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEAD_LETTER_TOPIC, EVENTS_TOPIC, HEADER, KafkaBus } from '@rapport/bus';
import { findKafka } from '@rapport/bus/testing';
import { loadConfig } from '@rapport/config';
import { createLogger } from '@rapport/observability';
import { migrationsDir } from '@rapport/schemas';
import { migrate, openStore, type Store } from '@rapport/store';
import { makeEvent } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestService } from './ingest-service.js';
import { createPipelineService } from './pipeline-service.js';
import type { Service } from './service.js';

const kafka = await findKafka();
if (kafka.skip) console.info(`distributed ingest → Kafka → pipeline tests skipped: ${kafka.skip}`);

describe.skipIf(kafka.skip !== undefined)(
  'ingest and pipeline as separate services over Kafka',
  () => {
    let dir: string;
    let store: Store;
    let ingest: Service;
    let pipeline: Service;
    let brokers: string[];
    const fatal: Error[] = [];

    beforeAll(async () => {
      brokers = await kafka.brokers();
      dir = mkdtempSync(join(tmpdir(), 'rapport-distributed-'));
      const env = {
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC_PARTITIONS: '3',
        KAFKA_CONSUMER_GROUP: `distributed-test-${randomUUID()}`,
        RAPPORT_DATA_DIR: dir,
        RAPPORT_LOG_LEVEL: 'silent',
      };
      const config = loadConfig(env);
      const logger = createLogger({ level: 'silent' });
      // The pipeline needs a migrated store; an embedded one stands in for the server here.
      store = await openStore(config.store);
      await migrate(store, migrationsDir);
      ingest = await createIngestService({ config, logger });
      pipeline = await createPipelineService({ config, logger, onFatal: (e) => fatal.push(e) });
    }, 120_000);

    afterAll(async () => {
      await ingest?.close();
      await pipeline?.close();
      await store?.close();
      await kafka.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const stored = async (ids: string[]) => {
      const [row] = await store.query<{ n: number }>(
        'SELECT count() AS n FROM events WHERE event_id IN {ids:Array(String)}',
        { ids },
      );
      return Number(row?.n ?? 0);
    };

    /** The headers of the first dead letter whose value matches, read by a group of its own. */
    const deadLetterOf = async (matches: (value: string) => boolean) => {
      const reader = new KafkaBus({
        brokers,
        clientId: 'dlq-reader',
        topic: DEAD_LETTER_TOPIC,
        groupId: `dlq-reader-${randomUUID()}`,
        lagIntervalMs: 0,
      });
      let headers: Readonly<Record<string, string>> | undefined;
      await reader.subscribe(async (batch) => {
        for (const message of batch.messages) {
          if (matches(message.value.toString())) headers ??= message.headers;
        }
        return batch.messages.map(() => 'stored' as const);
      });
      const deadline = performance.now() + 30_000;
      while (!headers && performance.now() < deadline) await sleep(100);
      await reader.close();
      return headers;
    };

    const waitForStored = async (ids: string[], count: number) => {
      const deadline = performance.now() + 60_000;
      while ((await stored(ids)) < count && performance.now() < deadline) await sleep(100);
      return stored(ids);
    };

    it('acknowledges after the brokers have the events, and the pipeline stores each once', async () => {
      const id = randomUUID().slice(0, 8);
      const events = Array.from({ length: 5 }, (_, i) =>
        makeEvent('click', { eventId: `d-${id}-${i}`, customerId: `cust-${id}-${i % 2}` }),
      );
      const ids = events.map((event) => String(event.eventId));
      const first = await ingest.app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: { events },
      });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ accepted: 5, rejected: [] });
      expect(await waitForStored(ids, 5)).toBe(5);
      // A producer's retry reaches Kafka again; the pipeline keeps each event once.
      const again = await ingest.app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: { events },
      });
      expect(again.statusCode).toBe(200);
      await sleep(2000);
      expect(await stored(ids)).toBe(5);
      expect(fatal).toEqual([]);
      const ready = await pipeline.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.json()).toMatchObject({ status: 'ready' });
      const metrics = await pipeline.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(
        /rapport_bus_consumer_lag_messages\{topic="rapport\.events\.v1"/,
      );
      expect(metrics.body).toMatch(
        /rapport_store_insert_duration_seconds_count\{table="events"\} [1-9]/,
      );
    });

    it('sends a message it cannot decode to the dead-letter topic and goes on', async () => {
      const marker = `bad-${randomUUID()}`;
      // A producer that skips validation: the value is not a stored event.
      const raw = new KafkaBus({ brokers, clientId: 'raw-producer' });
      await raw.publish([{ key: 'c:x', eventId: marker, type: 'track', value: marker }]);
      await raw.close();
      const afterId = `after-${marker}`;
      await ingest.app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: makeEvent('click', { eventId: afterId }),
      });
      expect(await waitForStored([afterId], 1)).toBe(1);

      const headers = await deadLetterOf((value) => value === marker);
      expect(headers?.[HEADER.reason]).toMatch(/not JSON/);
      expect(headers?.[HEADER.sourceTopic]).toBe(EVENTS_TOPIC);
      expect(headers?.[HEADER.sourcePartition]).toMatch(/^\d+$/);
      expect(headers?.[HEADER.sourceOffset]).toMatch(/^\d+$/);
    });

    it('dead-letters only the row the store refuses in a batch, stores the rest and goes on', async () => {
      const id = randomUUID().slice(0, 8);
      const key = `c:rows-${id}`;
      /** A stored event as ingest would publish it, valid for the contract. */
      const row = (eventId: string, customerId = `rows-${id}`) => ({
        event_id: eventId,
        type: 'track',
        customer_key: `c:${customerId}`,
        customer_id: customerId,
        anonymous_id: '',
        timestamp: Date.UTC(2024, 4, 1),
        original_timestamp: Date.UTC(2024, 4, 1),
        sent_at: null,
        received_at: Date.UTC(2024, 4, 1),
        channel: 'web',
        order_id: '',
        amount: 0,
        currency: '',
        amount_original: 0,
        context: {},
        properties: { name: 'row' },
      });
      const good = Array.from({ length: 6 }, (_, i) => `rows-${id}-${i}`);
      // A lone surrogate: valid JSON the contract takes, text ClickHouse refuses.
      const bad = row(`rows-${id}-bad`, `rows-${id}-\ud800`);
      const raw = new KafkaBus({ brokers, clientId: 'raw-producer' });
      await raw.publish(
        [...good.slice(0, 3).map((e) => row(e)), bad, ...good.slice(3).map((e) => row(e))].map(
          (event) => ({
            key,
            eventId: event.event_id,
            type: 'track',
            value: JSON.stringify(event),
          }),
        ),
      );
      await raw.close();
      expect(await waitForStored(good, good.length)).toBe(good.length);
      expect(await stored([bad.event_id])).toBe(0);
      const after = makeEvent('click', { eventId: `rows-${id}-after`, customerId: `rows-${id}` });
      await ingest.app.inject({ method: 'POST', url: '/v1/events', payload: after });
      expect(await waitForStored([`rows-${id}-after`], 1)).toBe(1);
      expect(fatal).toEqual([]);
      const metrics = await pipeline.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(
        /rapport_bus_dead_letters_total\{topic="rapport\.events\.v1"\} [1-9]/,
      );
    });
  },
);
