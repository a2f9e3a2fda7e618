// Erasure on a large store: how long erasing one customer takes, and what it removed.
// Usage: npx tsx benchmarks/erasure/run.ts <data dir> [customers=3]
// The data dir is a copy of a generated data set (benchmarks/.data/…): the engine migrates it,
// and the erased customers are gone from it afterwards. Erases the customers with the most
// linked devices, one after the other, and prints one JSON line per erasure.
import { openDatasetStore } from '../lib/dataset-store.js';
import { startEngine } from '../lib/engine-process.js';

const [dir, countArg = '3'] = process.argv.slice(2);
if (!dir) throw new Error('usage: run.ts <data dir> [customers]');
const store = await openDatasetStore(dir);
const [size] = await store.query<{ events: number; customers: number }>(
  "SELECT count() AS events, uniqExactIf(customer_id, customer_id != '') AS customers FROM events",
);
const subjects = await store.query<{ id: string; devices: number }>(
  `SELECT customer_id AS id, uniqExact(anonymous_id) AS devices FROM identity_links
   GROUP BY customer_id ORDER BY devices DESC, id LIMIT {n:UInt32}`,
  { n: Number(countArg) },
);
await store.close();
const engine = await startEngine({
  dataDir: dir,
  env: { RAPPORT_SCHEDULE_SEGMENTS: 'off' },
});
for (const { id, devices } of subjects) {
  const started = performance.now();
  const response = await fetch(`${engine.origin}/v1/customers/${encodeURIComponent(id)}?wait=60`, {
    method: 'DELETE',
  });
  const wall = (performance.now() - started) / 1000;
  const body = (await response.json()) as {
    status: string;
    receipt: { seconds: number; rowsRemoved: number; tables: { table: string; rows: number }[] };
  };
  console.log(
    JSON.stringify({
      storeEvents: Number(size?.events),
      storeCustomers: Number(size?.customers),
      devices: Number(devices),
      status: body.status,
      seconds: body.receipt?.seconds,
      wallSeconds: Math.round(wall * 100) / 100,
      rowsRemoved: body.receipt?.rowsRemoved,
      tables: body.receipt?.tables.filter((t) => t.rows > 0),
    }),
  );
}
await engine.stop();
