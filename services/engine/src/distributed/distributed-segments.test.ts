import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findKafka, groupAssignment, partitionOf } from '@rapport/bus/testing';
import { loadConfig } from '@rapport/config';
import { createLogger } from '@rapport/observability';
import type { SegmentChange } from '@rapport/schemas';
import { migrationsDir } from '@rapport/schemas';
import { migrate, openStore, type Store } from '@rapport/store';
import { startReceiver } from '@rapport/webhooks/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiService } from './api-service.js';
import { createIngestService } from './ingest-service.js';
import { createJobsService } from './jobs-service.js';
import { createPipelineService } from './pipeline-service.js';
import type { Service } from './service.js';

/**
 * Real-time segments in distributed mode: an event goes ingest → Kafka → pipeline, whose
 * streaming evaluation lets the customer into a segment and records the change in the outbox;
 * the jobs service, the one dispatcher, delivers it to a webhook once; its segments job, the
 * reconciler, corrects nothing.
 */
const kafka = await findKafka();
if (kafka.skip) console.info(`distributed real-time segments test skipped: ${kafka.skip}`);

describe.skipIf(kafka.skip !== undefined)('real-time segments in distributed mode', () => {
  const run = randomUUID().slice(0, 8);
  const dir = mkdtempSync(join(tmpdir(), 'rapport-distributed-segments-'));
  const services: Service[] = [];
  const fatal: Error[] = [];
  let store: Store;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ingest: Service;
  let api: Service;
  let jobs: Service;
  let startJobs: () => Promise<Service>;
  let pipelines: Service[];
  let brokers: string[];
  const group = `segments-${run}`;
  /** Waits for the group to be stable with these partition counts per member. */
  const assigned = (counts: number[]) =>
    expect
      .poll(
        async () => {
          const { state, members } = await groupAssignment(brokers, group);
          return [state, Object.values(members).map((p) => p.length)];
        },
        { timeout: 90_000, interval: 250 },
      )
      .toEqual(['Stable', counts]);

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 204 }));
    brokers = await kafka.brokers();
    const config = loadConfig({
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PARTITIONS: '2',
      KAFKA_CONSUMER_GROUP: group,
      // Topics of their own: other suites publish on the shared broker.
      KAFKA_EVENTS_TOPIC: `segments-${run}.events`,
      KAFKA_DEAD_LETTER_TOPIC: `segments-${run}.dlq`,
      RAPPORT_DATA_DIR: dir,
      RAPPORT_LOG_LEVEL: 'silent',
      RAPPORT_WEBHOOK_URLS: receiver.url,
      RAPPORT_WEBHOOK_SECRET: 'whsec-test-0123456789abcdef',
      RAPPORT_WEBHOOK_BACKOFF_MS: '10',
    });
    const logger = createLogger({ level: 'silent' });
    store = await openStore(config.store);
    await migrate(store, migrationsDir);
    ingest = await createIngestService({ config, logger });
    api = await createApiService({ config, logger });
    startJobs = () => createJobsService({ config, logger });
    jobs = await startJobs();
    // Two pipeline processes of one consumer group, a partition each.
    pipelines = [];
    for (let i = 0; i < 2; i++) {
      pipelines.push(
        await createPipelineService({ config, logger, onFatal: (e) => fatal.push(e) }),
      );
    }
    services.push(ingest, api, jobs, ...pipelines);
  }, 180_000);

  afterAll(async () => {
    for (const service of services.reverse()) await service.close();
    await store?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const runSegmentsJob = async () => {
    const started = await jobs.app.inject({ method: 'POST', url: '/v1/jobs/segments/runs' });
    expect(started.statusCode).toBe(202);
    const { runId } = started.json<{ runId: string }>();
    let status = 'running';
    let body: Record<string, unknown> = {};
    while (status === 'running') {
      await sleep(50);
      body = (await jobs.app.inject({ url: `/v1/jobs/runs/${runId}` })).json();
      status = String(body.status);
    }
    expect(status).toBe('succeeded');
    return body as { summary: { corrections: { total: number; doubledStays: number } } };
  };

  // Two customers on each of the two partitions (events are keyed by customer key).
  const customers: string[] = [];
  for (let i = 0, on = [0, 0]; on[0]! < 2 || on[1]! < 2; i++) {
    const id = `buyer-${i}-${run}`;
    const partition = partitionOf(`c:${id}`, 2);
    if (on[partition]! < 2) {
      on[partition]!++;
      customers.push(id);
    }
  }
  const writersOf = (segment: string) =>
    store.query<{ writer: string; profiles: number }>(
      `SELECT writer, uniqExact(profile_key) AS profiles FROM segment_outbox_by_writer
       WHERE segment_id = {segment:String} GROUP BY writer ORDER BY writer`,
      { segment },
    );
  const purchase = (customerId: string, n: number) => ({
    type: 'purchase',
    eventId: `${customerId}-order-${n}`,
    customerId,
    timestamp: new Date(Date.now() - n * 60_000).toISOString(),
    properties: { orderId: `${customerId}-${n}`, revenue: 30 + n, currency: 'USD' },
  });

  const delivered = (customerId: string): SegmentChange[] =>
    receiver.received
      .flatMap((request) => request.payload.changes)
      .filter((change) => change.customerId === customerId);

  it('lets a customer in from the pipeline and delivers the change to a webhook once', async () => {
    const segment = `repeat-${run}`;
    // A partition each before any event is sent.
    await assigned([1, 1]);
    const created = await api.app.inject({
      method: 'POST',
      url: '/v1/segments',
      payload: {
        id: segment,
        name: 'Repeat buyers',
        rule: { type: 'field', field: 'orders', op: 'gte', value: 2 },
      },
    });
    expect(created.statusCode).toBe(201);
    const third = await api.app.inject({
      method: 'POST',
      url: '/v1/segments',
      payload: {
        id: `loyal-${run}`,
        name: 'Three orders or more',
        rule: { type: 'field', field: 'orders', op: 'gte', value: 3 },
      },
    });
    expect(third.statusCode).toBe(201);
    // The jobs service finds the saved segments by itself (it looks every 5 s) and runs the
    // segments job for them: a change the reconciler makes to them from now on is a correction.
    await expect
      .poll(
        async () => {
          const { runs } = (
            await jobs.app.inject({ url: '/v1/jobs/runs?job=segments&limit=10' })
          ).json<{
            runs: { trigger: string; status: string; params: { segments?: string[] } }[];
          }>();
          const evaluated = runs
            .filter((r) => r.trigger === 'segment-saved' && r.status === 'succeeded')
            .flatMap((r) => r.params.segments ?? []);
          return [...new Set(evaluated)].sort();
        },
        { timeout: 30_000, interval: 100 },
      )
      .toEqual([`loyal-${run}`, segment].sort());

    for (const n of [1, 2]) {
      const answer = await ingest.app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: { events: customers.map((customerId) => purchase(customerId, n)) },
      });
      expect(answer.statusCode).toBe(200);
    }
    // One buyer of a single order: evaluated, not let in.
    const once = `una-${run}`;
    await ingest.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: { events: [purchase(once, 1)] },
    });

    for (const customerId of customers) {
      await expect
        .poll(() => delivered(customerId).map((c) => `${c.segmentId}:${c.change}`), {
          timeout: 60_000,
          interval: 100,
        })
        .toEqual([`${segment}:entered`]);
    }
    // Named by the process that evaluated them: no two processes give two changes one id.
    for (const customerId of customers) {
      expect(delivered(customerId)[0]?.runId).toMatch(/^stream-pipeline-[0-9a-f]{8}-\d+-\d+$/);
    }
    // Recorded by the two pipeline processes, each for the profiles of its own partition.
    const writers = await writersOf(segment);
    expect(writers.map((w) => [w.writer.slice(0, 9), Number(w.profiles)])).toEqual([
      ['pipeline-', 2],
      ['pipeline-', 2],
    ]);

    // The reconciler finds nothing to correct, and nothing is delivered twice.
    const reconciled = await runSegmentsJob();
    expect(reconciled.summary.corrections).toMatchObject({ total: 0, doubledStays: 0 });
    await sleep(2_000);
    for (const customerId of customers) expect(delivered(customerId)).toHaveLength(1);
    expect(delivered(once)).toEqual([]);
    const ids = receiver.received.flatMap((request) => request.payload.changes).map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);

    const ready = (await pipelines[0]!.app.inject({ url: '/readyz' })).json<{
      checks: Record<string, string>;
    }>();
    expect(ready.checks['segments-stream']).toBe('ok');
    expect(fatal).toEqual([]);
  }, 180_000);

  it('after a pipeline process leaves and its partitions move, the other one evaluates their profiles', async () => {
    const segment = `loyal-${run}`;
    // Graceful: what its last batches touched is evaluated and recorded before it goes.
    await pipelines[1]!.close();
    await assigned([2]);
    const answer = await ingest.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: { events: customers.map((customerId) => purchase(customerId, 3)) },
    });
    expect(answer.statusCode).toBe(200);
    for (const customerId of customers) {
      await expect
        .poll(
          () =>
            delivered(customerId)
              .filter((c) => c.segmentId === segment)
              .map((c) => c.change),
          { timeout: 90_000, interval: 100 },
        )
        .toEqual(['entered']);
    }
    // One stay open per profile and segment; recorded by the one process left.
    const doubled = await store.query<{ profile_key: string }>(
      `SELECT profile_key FROM segment_membership FINAL
       WHERE exited_at IS NULL GROUP BY segment_id, profile_key HAVING count() > 1`,
    );
    expect(doubled).toEqual([]);
    // Every profile, of both partitions, evaluated by the one process left.
    const writers = await writersOf(segment);
    expect(writers.map((w) => [w.writer.slice(0, 9), Number(w.profiles)])).toEqual([
      ['pipeline-', 4],
    ]);
    const reconciled = await runSegmentsJob();
    expect(reconciled.summary.corrections).toMatchObject({ total: 0, doubledStays: 0 });
    await sleep(2_000);
    for (const customerId of customers) expect(delivered(customerId)).toHaveLength(2);
    expect(fatal).toEqual([]);
  }, 180_000);

  it('delivers what was recorded while the jobs service was down once it is back, and nothing twice', async () => {
    await jobs.close();
    const before = receiver.received.flatMap((request) => request.payload.changes).length;
    const late = [`late-a-${run}`, `late-b-${run}`];
    for (const n of [1, 2]) {
      const answer = await ingest.app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: { events: late.map((customerId) => purchase(customerId, n)) },
      });
      expect(answer.statusCode).toBe(200);
    }
    // Recorded by the pipeline while no one delivers.
    await expect
      .poll(
        async () =>
          (
            await store.query<{ n: number }>(
              `SELECT count() AS n FROM segment_outbox_by_writer
               WHERE segment_id = {segment:String} AND profile_key IN {keys:Array(String)}`,
              { segment: `repeat-${run}`, keys: late.map((id) => `c:${id}`) },
            )
          ).map((row) => Number(row.n)),
        { timeout: 60_000, interval: 100 },
      )
      .toEqual([2]);
    await sleep(1_000);
    expect(receiver.received.flatMap((request) => request.payload.changes)).toHaveLength(before);

    jobs = await startJobs();
    services.push(jobs);
    for (const customerId of late) {
      await expect
        .poll(() => delivered(customerId).map((c) => `${c.segmentId}:${c.change}`), {
          timeout: 60_000,
          interval: 100,
        })
        .toEqual([`repeat-${run}:entered`]);
    }
    await sleep(2_000);
    const ids = receiver.received.flatMap((request) => request.payload.changes).map((c) => c.id);
    expect(ids).toHaveLength(before + 2);
    expect(new Set(ids).size).toBe(ids.length);
  }, 180_000);
});
