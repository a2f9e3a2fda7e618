import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, '../services/engine/bin/rapport.js');
const DAY = 86_400_000;

/** Small, seeded PRNG (mulberry32): the same file every run. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Orders of 400 customers from 1995 to 2024: each starts some time in those years, orders
 * again after exponential gaps (mean 40–400 days) and may stop for good after any order.
 */
function ordersCsv(): { csv: string; orders: number } {
  const next = random(1995);
  const start = Date.UTC(1995, 0, 1);
  const end = Date.UTC(2024, 11, 31);
  const rows = ['order_no,client,ordered_on,total'];
  for (let customer = 1; customer <= 400; customer++) {
    let at = start + next() * (end - start) * 0.9;
    const meanGap = (40 + next() * 360) * DAY;
    const spend = 20 + next() * 180;
    for (let order = 1; at <= end; order++) {
      const day = new Date(at).toISOString().slice(0, 10).replaceAll('-', '');
      rows.push(
        `c${customer}-o${order},c${customer},${day},${(spend * (0.5 + next())).toFixed(2)}`,
      );
      if (next() < 0.15) break;
      at += -Math.log(1 - next()) * meanGap;
    }
  }
  return { csv: `${rows.join('\n')}\n`, orders: rows.length - 1 };
}

let engine: TestEngine;
let url: string;
let dir: string;

beforeAll(async () => {
  engine = await startTestEngine();
  url = await engine.app.listen({ host: '127.0.0.1', port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'rapport-import-'));
}, 120_000);

afterAll(async () => {
  await engine?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]) {
  try {
    const { stdout } = await run(process.execPath, [CLI, 'import', ...args, '--url', url]);
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout + failed.stderr };
  }
}

describe('rapport import', () => {
  const { csv, orders } = ordersCsv();

  it('imports a gzipped CSV of orders from 1995 to 2024, naming the rows it could not read', async () => {
    const bad = [
      'bad-1,c9001,19951301,10.00', // month 13
      'bad-2,c9002,19960101,"10,5"', // a comma for the decimal point
      'bad-3,c9003,19890101,10.00', // before the 1990 floor
      'bad-4,c9004,19960101', // a field short
    ].join('\n');
    const file = join(dir, 'orders.csv.gz');
    writeFileSync(file, gzipSync(`${csv}${bad}\n`));
    const first = await cli(
      file,
      '--map',
      'orderId=order_no',
      'customerId=client',
      'timestamp=ordered_on',
    );
    expect(first.code, first.stdout).toBe(1);
    expect(first.stdout).toContain(
      `${(orders + 4).toLocaleString('en-US')} rows, ${orders.toLocaleString('en-US')} stored, 0 already stored, 4 rejected`,
    );
    const line = (n: number) => orders + 1 + n; // the header is line 1
    expect(first.stdout).toMatch(
      new RegExp(`line ${line(1)}, ordered_on: "19951301" is not a date`),
    );
    expect(first.stdout).toMatch(new RegExp(`line ${line(2)}, total: "10,5" is not an amount`));
    expect(first.stdout).toMatch(new RegExp(`line ${line(3)}, ordered_on: .*before 1990-01-01`));
    expect(first.stdout).toMatch(new RegExp(`line ${line(4)}, .*Invalid Record Length`));

    const [stored] = await engine.store.query<{ n: number; first: string }>(
      `SELECT count() AS n, toString(toYear(min(timestamp))) AS first FROM events WHERE type = 'purchase'`,
    );
    expect(Number(stored?.n)).toBe(orders);
    expect(stored?.first).toBe('1995');
  }, 120_000);

  it('skips what is stored when run again', async () => {
    const file = join(dir, 'orders-again.csv');
    writeFileSync(file, csv);
    const again = await cli(
      file,
      '--map',
      'orderId=order_no,customerId=client,timestamp=ordered_on',
    );
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain(
      `0 stored, ${orders.toLocaleString('en-US')} already stored, 0 rejected`,
    );
  }, 120_000);

  it('gives RFM and CLV scores from the imported history', async () => {
    const rfm = await runJob(engine, 'rfm', { asOf: '2024-12-31' });
    expect(rfm.status, rfm.error ?? '').toBe('succeeded');
    const clv = await runJob(engine, 'clv', { asOf: '2024-12-31' });
    expect(clv.status, clv.error ?? '').toBe('succeeded');
    const [scores] = await engine.store.query<{ rfm: number; clv: number }>(
      `SELECT (SELECT count() FROM rfm_scores WHERE run_id = {rfm:String}) AS rfm,
              (SELECT count() FROM clv_scores WHERE run_id = {clv:String}) AS clv`,
      { rfm: rfm.runId, clv: clv.runId },
    );
    expect(Number(scores?.rfm)).toBe(400);
    expect(Number(scores?.clv)).toBe(400);
  }, 300_000);
});

describe('POST /v1/import', () => {
  const event = (index: number) =>
    JSON.stringify({
      eventId: `nd-${index}`,
      type: 'page_view',
      customerId: `nd-c${index % 50}`,
      timestamp: new Date(Date.UTC(1998, 0, 1) + index * 60_000).toISOString(),
      properties: { url: `https://shop.example/p/${index}`, padding: 'x'.repeat(200) },
    });

  it('takes a streamed NDJSON body past the 1 MiB request limit, gzip too, with rejections by line', async () => {
    const lines = Array.from({ length: 6000 }, (_, index) => event(index));
    lines[10] = '{"eventId": "nd-broken"';
    lines[20] = JSON.stringify({
      eventId: 'nd-no-type',
      customerId: 'x',
      timestamp: '1998-01-01T00:00:00Z',
    });
    const body = `${lines.join('\n')}\n`;
    expect(Buffer.byteLength(body)).toBeGreaterThan(1024 * 1024);
    const answer = await engine.app.inject({
      method: 'POST',
      url: '/v1/import',
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      payload: gzipSync(body),
    });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json()).toMatchObject({
      lines: 6000,
      accepted: 5998,
      duplicates: 0,
      rejected: 2,
      rejections: [
        { line: 11, message: expect.stringMatching(/^not JSON/) },
        { line: 21, eventId: 'nd-no-type', path: 'type' },
      ],
    });
  }, 120_000);

  it('reads Segment messages with format=segment', async () => {
    const message = {
      type: 'track',
      event: 'Order Completed',
      messageId: 'seg-import-1',
      userId: 'seg-c1',
      timestamp: '1999-06-01T10:00:00Z',
      properties: { order_id: 'seg-o1', revenue: 42, currency: 'USD' },
    };
    const answer = await engine.app.inject({
      method: 'POST',
      url: '/v1/import?format=segment',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify(message)}\n`,
    });
    expect(answer.json()).toMatchObject({ lines: 1, accepted: 1, rejected: 0 });
    const [row] = await engine.store.query<{ type: string }>(
      `SELECT type FROM events WHERE customer_id = 'seg-c1'`,
    );
    expect(row?.type).toBe('purchase');
  });

  it('refuses what is not NDJSON', async () => {
    const answer = await engine.app.inject({
      method: 'POST',
      url: '/v1/import',
      headers: { 'content-type': 'application/json' },
      payload: '[]',
    });
    expect(answer.statusCode).toBe(415);
  });
});
