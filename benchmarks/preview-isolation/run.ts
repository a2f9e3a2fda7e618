// Preview isolation: the latency of uncached profile look-ups while heavy segment previews run.
// Usage: npx tsx benchmarks/preview-isolation/run.ts <data dir> [lookups=200] [previews=4]
// The data dir is a copy of a generated data set (benchmarks/.data/…): the engine migrates it.
// The engine runs as its own process (rapport start), reached over HTTP.
// Prints one JSON line: look-up p50/p99 idle and with the previews running, and the previews'
// outcomes. Environment variables (RAPPORT_HEAVY_QUERY_*) set the limits under test.
import { openDatasetStore } from '../lib/dataset-store.js';
import { startEngine } from '../lib/engine-process.js';
import { profileRowsMirrored } from '../lib/profile-rows-ready.js';
import { percentile } from '../lib/stats.js';

const [dir, lookupArg = '200', previewArg = '4'] = process.argv.slice(2);
if (!dir) throw new Error('usage: run.ts <data dir> [lookups] [previews]');
const lookups = Number(lookupArg);
const previewers = Number(previewArg);

const store = await openDatasetStore(dir);
const ids = (
  await store.query<{ id: string }>(
    `SELECT DISTINCT customer_id AS id FROM events WHERE customer_id != ''
     ORDER BY cityHash64(id) LIMIT {n:UInt32}`,
    { n: lookups * 2 },
  )
).map((row) => row.id);
await store.close();
const engine = await startEngine({
  dataDir: dir,
  env: {
    RAPPORT_PROFILE_CACHE_MB: '0',
    RAPPORT_SCHEDULE_SEGMENTS: 'off',
    RAPPORT_RATE_LIMIT_READ: '0',
  },
});
// Opening the store above leaves the engine's copy of the profile rows untrusted: it is
// rebuilt first, so that look-ups are timed as a running engine serves them.
const waitedSeconds = await profileRowsMirrored(engine.origin);

async function lookUp(batch: string[]): Promise<number[]> {
  const times: number[] = [];
  for (const id of batch) {
    const started = performance.now();
    const response = await fetch(`${engine.origin}/v1/customers/${encodeURIComponent(id)}`);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`look-up ${response.status}`);
    times.push(performance.now() - started);
  }
  return times;
}

const summary = (times: number[]) => ({
  p50: Math.round(percentile(times, 50) * 10) / 10,
  p99: Math.round(percentile(times, 99) * 10) / 10,
  max: Math.round(Math.max(...times)),
});

await lookUp(ids.slice(0, 20)); // warm-up
const idle = await lookUp(ids.slice(0, lookups));

// A live rule every profile is tested against: the fields are computed for each answer.
const rule = {
  type: 'and',
  rules: [
    { type: 'field', field: 'netRevenue', op: 'gte', value: 0 },
    { type: 'field', field: 'categoryBreadth', op: 'gte', value: 0 },
  ],
};
let running = true;
const outcomes: Record<string, number> = {};
const previewSeconds: number[] = [];
const loops = Array.from({ length: previewers }, async () => {
  while (running) {
    const started = performance.now();
    const response = await fetch(`${engine.origin}/v1/segments/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rule, sample: 5 }),
    });
    await response.arrayBuffer();
    outcomes[response.status] = (outcomes[response.status] ?? 0) + 1;
    if (response.status === 200) previewSeconds.push((performance.now() - started) / 1000);
    else await new Promise((resolve) => setTimeout(resolve, 200));
  }
});
await new Promise((resolve) => setTimeout(resolve, 1000));
const loaded = await lookUp(ids.slice(lookups, lookups * 2));
running = false;
await Promise.all(loops);
console.log(
  JSON.stringify({
    lookups,
    previewers,
    waitedSeconds: Math.round(waitedSeconds),
    threads: process.env.RAPPORT_HEAVY_QUERY_THREADS ?? null,
    idle: summary(idle),
    withPreviews: summary(loaded),
    previews: {
      outcomes,
      p50Seconds: previewSeconds.length
        ? Math.round(percentile(previewSeconds, 50) * 10) / 10
        : null,
    },
  }),
);
await engine.stop();
