import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { EVENTS_TOPIC } from '@rapport/bus';
import { findKafka } from '@rapport/bus/testing';
import { loadConfig } from '@rapport/config';
import { createLogger } from '@rapport/observability';
import { makeEvent } from '@rapport/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createIngestService } from './ingest-service.js';
import type { Service } from './service.js';

/**
 * ingest → a real Kafka broker → the pipeline as a process of its own → its store. The
 * pipeline is killed with SIGKILL mid-stream while producers keep sending, and started again;
 * in the end every acknowledged event must be stored exactly once, and the profiles' event
 * counts must equal the log. See README, "Run distributed".
 */
const kafka = await findKafka();
if (kafka.skip) console.info(`Kafka crash tests skipped: ${kafka.skip}`);

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const SCRIPT = 'services/engine/src/distributed/testing/pipeline-process.ts';
/** Where each pipeline process dies: at its own hand in one window, or killed from outside. */
const WINDOWS = ['after-insert', 'before-insert', 'mid-insert', 'external'] as const;
const PRODUCERS = 3;
const EVENTS_PER_REQUEST = 50;

const work = mkdtempSync(join(tmpdir(), 'rapport-kafka-crash-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Child {
  process: ChildProcess;
  url: Promise<string>;
  exited: Promise<number | null>;
  logs: string[];
}

function spawnPipeline(env: Record<string, string>, args: string[] = ['run']): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const url = new Promise<string>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        const match = /pipeline listening on (\S+)/.exec(line);
        if (match?.[1]) resolve(match[1]);
      });
    }
    void exited.then((code) => reject(new Error(`exited with ${code}:\n${logs.join('\n')}`)));
  });
  url.catch(() => undefined);
  return { process: child, url, exited, logs };
}

/** Messages on the topic the group has committed, and those it has not yet. */
async function progressOf(
  brokers: string[],
  groupId: string,
): Promise<{ committed: number; lag: number }> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(EVENTS_TOPIC);
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [EVENTS_TOPIC] });
    let committed = 0;
    let lag = 0;
    for (const end of ends) {
      const at = offsets?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      const from = Math.max(Number(at), Number(end.low));
      committed += from - Number(end.low);
      lag += Number(end.high) - from;
    }
    return { committed, lag };
  } finally {
    await admin.disconnect();
  }
}

/** Events a pipeline process found stored already when they came: redelivered ones. */
function foundStored(logs: string[]): number {
  const last = logs.findLast((line) => line.startsWith('found stored '));
  return last ? Number(last.slice('found stored '.length)) : 0;
}

describe.skipIf(kafka.skip !== undefined)('the pipeline killed with -9 on a real broker', () => {
  let ingest: Service | undefined;
  afterAll(() => ingest?.close());

  it('stores every acknowledged event once, the pipeline killed with -9 in each window', async () => {
    const brokers = await kafka.brokers();
    const run = `k${Date.now().toString(36)}`;
    const groupId = `crash-${run}`;
    const env = {
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PARTITIONS: '3',
      KAFKA_CONSUMER_GROUP: groupId,
      // A killed member's partitions go to the next one after this long.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      RAPPORT_DATA_DIR: join(work, 'data'),
      RAPPORT_LOG_LEVEL: 'warn',
      RAPPORT_TEST_CUSTOMER_PREFIX: `c:${run}-`,
    };
    ingest = await createIngestService({
      config: loadConfig(env),
      logger: createLogger({ level: 'silent' }),
    });
    const acknowledged = new Set<string>();
    let sent = 0;
    let unavailable = 0;
    let producing = true;
    const producer = async (index: number) => {
      for (let request = 0; producing; request++) {
        const events = Array.from({ length: EVENTS_PER_REQUEST }, (_, n) =>
          makeEvent('click', {
            eventId: `${run}-${index}-${request}-${n}`,
            customerId: `${run}-${(request * EVENTS_PER_REQUEST + n) % 40}`,
          }),
        );
        sent += events.length;
        const answer = await ingest!.app.inject({
          method: 'POST',
          url: '/v1/events',
          payload: { events },
        });
        if (answer.statusCode === 200) {
          for (const event of events) acknowledged.add(String(event.eventId));
        } else {
          unavailable++;
        }
        await sleep(20);
      }
    };
    const producers = Array.from({ length: PRODUCERS }, (_, index) => producer(index));

    const kills: { window: string; committed: number; found: number }[] = [];
    let child: Child | undefined;
    try {
      for (const window of WINDOWS) {
        const external = window === 'external';
        const nth = 2 + Math.floor(Math.random() * 4);
        child = spawnPipeline({ ...env, RAPPORT_TEST_KILL: external ? '' : `${window}:${nth}` });
        await child.url;
        const before = (await progressOf(brokers, groupId)).committed;
        if (external) {
          // Killed while it consumes: once it has committed a batch, at a random moment after.
          const deadline = performance.now() + 60_000;
          while ((await progressOf(brokers, groupId)).committed === before) {
            if (performance.now() > deadline)
              throw new Error(`no progress:\n${child.logs.join('\n')}`);
            await sleep(50);
          }
          await sleep(Math.floor(Math.random() * 1500));
          child.process.kill('SIGKILL');
        }
        await child.exited;
        expect(child.process.signalCode, child.logs.join('\n')).toBe('SIGKILL');
        kills.push({
          window,
          committed: (await progressOf(brokers, groupId)).committed - before,
          found: foundStored(child.logs),
        });
      }
    } finally {
      producing = false;
      await Promise.all(producers);
      if (child?.process.exitCode === null) child.process.kill('SIGKILL');
    }

    // One more process drains what is left; its pace is the pipeline's throughput.
    const backlog = (await progressOf(brokers, groupId)).lag;
    const last = spawnPipeline(env);
    const metricsUrl = `${await last.url}/metrics`;
    const started = performance.now();
    const deadline = started + 180_000;
    while ((await progressOf(brokers, groupId)).lag > 0 && performance.now() < deadline) {
      await sleep(200);
    }
    const drainSeconds = (performance.now() - started) / 1000;
    const metrics = await (await fetch(metricsUrl)).text();
    last.process.kill('SIGTERM');
    expect(await last.exited).toBe(0);

    const idsFile = join(work, `${run}.ids`);
    writeFileSync(idsFile, [...acknowledged].join('\n'));
    const counter = spawnPipeline(env, ['count', idsFile]);
    expect(await counter.exited).toBe(0);
    const result = JSON.parse(counter.logs.at(-1)!) as {
      ids: number;
      stored: number;
      missing: number;
      duplicated: number;
      events: number;
      projected: number;
    };
    console.info(
      `kafka crash: ${sent} sent, ${acknowledged.size} acknowledged (${unavailable} requests answered 503), ` +
        `${result.stored} of them stored, ${result.missing} lost, ${result.duplicated} duplicated; ` +
        `${result.events} events of the run stored, ${result.projected} counted by profiles; ` +
        kills
          .map((k) => `${k.window}: committed ${k.committed}, found ${k.found} stored`)
          .join('; ') +
        '; ' +
        `the last found ${foundStored(last.logs)}; ` +
        `backlog of ${backlog} drained in ${drainSeconds.toFixed(1)} s ` +
        `(${Math.round(backlog / drainSeconds)} events/s, including the group join)`,
    );
    expect(acknowledged.size).toBeGreaterThan(1000);
    expect(result).toMatchObject({ ids: acknowledged.size, missing: 0, duplicated: 0 });
    // Unacknowledged events (answers lost with a kill) may be stored too, once each.
    expect(result.events).toBeGreaterThanOrEqual(acknowledged.size);
    expect(result.projected).toBe(result.events);
    expect(metrics).toMatch(/rapport_bus_consumer_lag_messages\{topic="rapport\.events\.v1"/);
  }, 300_000);
});
