/**
 * Import benchmark: rows per second through `rapport import` into a running engine, for a
 * CSV of orders, the same orders again (all already stored) and NDJSON events. Small by
 * default (100,000 orders). See benchmarks/README.md.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE_BIN, runNode } from '../lib/child-process.js';
import { startEngine } from '../lib/engine-process.js';
import { createRandom } from '../lib/random.js';

const orders = Number(process.env.BENCH_ORDERS ?? process.argv[2] ?? 100_000);
if (!Number.isInteger(orders) || orders < 1) {
  process.stderr.write(
    'usage: npm run bench:import -- [orders]  (env BENCH_ORDERS, default 100000)\n',
  );
  process.exit(2);
}
const log = (message: string) => process.stdout.write(`${message}\n`);

/** Orders of orders/10 customers from 1995 to 2024, as CSV and as NDJSON page views. */
function files(seed: number) {
  const { next } = createRandom(seed);
  const start = Date.UTC(1995, 0, 1);
  const span = Date.UTC(2024, 11, 31) - start;
  const csv = ['order_id,customer_id,date,amount'];
  const ndjson: string[] = [];
  for (let n = 0; n < orders; n++) {
    const customer = `c${Math.floor(next() * (orders / 10))}`;
    const at = new Date(start + Math.floor(next() * span));
    const amount = (5 + next() * 200).toFixed(2);
    csv.push(`o${n},${customer},${at.toISOString().slice(0, 10)},${amount}`);
    ndjson.push(
      JSON.stringify({
        eventId: `view-${n}`,
        type: 'page_view',
        customerId: customer,
        timestamp: at.toISOString(),
        properties: { url: `https://shop.example/p/${n % 5000}` },
      }),
    );
  }
  return { csv: `${csv.join('\n')}\n`, ndjson: `${ndjson.join('\n')}\n` };
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), 'rapport-bench-import-'));
  const engine = await startEngine({ dataDir: join(work, 'data') });
  try {
    const { csv, ndjson } = files(42);
    const csvFile = join(work, 'orders.csv');
    const ndjsonFile = join(work, 'views.ndjson');
    await writeFile(csvFile, csv);
    await writeFile(ndjsonFile, ndjson);
    log(
      `import benchmark: ${orders} orders (CSV ${(csv.length / 1048576).toFixed(1)} MiB), ` +
        `${orders} events (NDJSON ${(ndjson.length / 1048576).toFixed(1)} MiB), engine ${engine.origin}`,
    );
    for (const [label, file] of [
      ['CSV of orders', csvFile],
      ['same CSV again (all stored)', csvFile],
      ['NDJSON events', ndjsonFile],
    ] as const) {
      const run = await runNode([ENGINE_BIN, 'import', file, '--url', engine.origin]);
      const summary = run.stdout.trim().split('\n')[0] ?? '';
      log(
        `  ${label}: ${(orders / run.seconds).toFixed(0)} rows/s ` +
          `(${run.seconds.toFixed(1)} s, command start included; CLI peak RSS ` +
          `${((run.peakRssBytes ?? 0) / 1048576).toFixed(0)} MiB) — ${summary}`,
      );
    }
    // The same events through POST /v1/events as the ingest benchmark sends them (500 a
    // request, 8 in flight), under the same load of the machine, for comparison.
    const events = ndjson
      .trim()
      .split('\n')
      .map((line) => line.replace('"view-', '"http-view-'));
    const bodies: string[] = [];
    for (let at = 0; at < events.length; at += 500) {
      bodies.push(`{"events":[${events.slice(at, at + 500).join(',')}]}`);
    }
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          const answer = await fetch(`${engine.origin}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          if (answer.status !== 200) throw new Error(`/v1/events answered ${answer.status}`);
          await answer.arrayBuffer();
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    log(
      `  the same events by POST /v1/events: ${(orders / seconds).toFixed(0)} events/s (${seconds.toFixed(1)} s)`,
    );
    log(`  engine peak RSS ${((engine.peakRssBytes() ?? 0) / 1048576).toFixed(0)} MiB`);
  } finally {
    await engine.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
