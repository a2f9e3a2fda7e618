/**
 * The raw half of the ingest benchmark, run in its own process (one embedded store per
 * process): inserts the benchmark's stored rows straight into a fresh store and prints one
 * JSON line, `{"rawInsert": RawInsertResult}`. Started by raw-insert-process.ts.
 */
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { migrationsDir } from '@rapport/schemas';
import { migrate } from '@rapport/store';
import { ownCpuSeconds, ownKernelCpuSeconds, peakRssBytes } from '../lib/process-stats.js';
import { benchmarkEvents, toRequestBodies } from './event-mix.js';
import type { RawInsertResult } from './raw-insert-process.js';
import { toInsertBuffers, toStoredJsonLines } from './stored-rows.js';
import { openDatasetStore } from '../lib/dataset-store.js';

const { values } = parseArgs({
  strict: true,
  options: {
    events: { type: 'string' },
    'warmup-events': { type: 'string' },
    seed: { type: 'string' },
    'batch-size': { type: 'string' },
    'batch-rows': { type: 'string' },
    'data-dir': { type: 'string' },
    table: { type: 'string' },
  },
});
const number = (name: keyof typeof values): number => {
  const value = Number(values[name]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} is missing or bad`);
  return value;
};
const dataDir = values['data-dir'];
if (dataDir === undefined) throw new Error('--data-dir is required');
const table = values.table ?? 'events';
if (table !== 'events' && table !== 'events_plain') {
  throw new Error('--table is events (with its views) or events_plain');
}

const events = benchmarkEvents({
  events: number('events'),
  warmupEvents: number('warmup-events'),
  seed: number('seed'),
});
const receivedAt = Date.now();
const batchRows = number('batch-rows');
const warmup = toInsertBuffers(toStoredJsonLines(events.warmup, receivedAt), batchRows);
// What the engine does to the timed events before its store sees them, timed as it would be
// (the request bodies parsed, each event validated and normalised, the rows encoded): a part
// of every event's cost that no arrangement of the engine avoids.
const bodies = toRequestBodies(events.timed, number('batch-size'));
const stepsCpuBefore = ownCpuSeconds();
const received = bodies.flatMap(
  ({ body }) => (JSON.parse(body.toString('utf8')) as { events: Record<string, unknown>[] }).events,
);
const timed = toInsertBuffers(toStoredJsonLines(received, receivedAt), batchRows);
const ingestStepsCpuSeconds = ownCpuSeconds() - stepsCpuBefore;

await mkdir(dataDir, { recursive: true });
const store = await openDatasetStore(dataDir);
try {
  await migrate(store, migrationsDir);
  // The same columns and order in a plain MergeTree: no projection, partitions or views.
  await store.command(
    'CREATE TABLE events_plain ENGINE = MergeTree ORDER BY (customer_key, timestamp, event_id) EMPTY AS SELECT * FROM events',
  );
  for (const buffer of warmup) await store.insertJsonLines(table, buffer);

  const started = performance.now();
  const cpuBefore = ownCpuSeconds();
  const kernelBefore = ownKernelCpuSeconds();
  for (const buffer of timed) await store.insertJsonLines(table, buffer);
  const seconds = (performance.now() - started) / 1000;
  const cpu = ownCpuSeconds() - cpuBefore;
  const kernelCpu = ownKernelCpuSeconds() - kernelBefore;

  const [count] = await store.query<{ rows: number | string }>(
    `SELECT count() AS rows FROM ${table}`,
  );
  const expected = events.warmup.length + events.timed.length;
  if (Number(count?.rows) !== expected) {
    throw new Error(`the store holds ${String(count?.rows)} rows; ${expected} were inserted`);
  }
  const result: RawInsertResult = {
    rows: events.timed.length,
    inserts: timed.length,
    batchRows,
    seconds,
    rowsPerSecond: events.timed.length / seconds,
    peakRssBytes: peakRssBytes(),
    cpuSeconds: cpu,
    kernelCpuSeconds: kernelCpu,
    ingestStepsCpuSeconds,
  };
  process.stdout.write(`${JSON.stringify({ rawInsert: result })}\n`);
} finally {
  await store.close();
}
