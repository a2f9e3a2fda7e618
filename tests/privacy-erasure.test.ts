import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@rapport/config';
import { createEngine, type Engine } from '@rapport/engine';
import { createLogger } from '@rapport/observability';
import { rebuildProjections } from '@rapport/store';
import { generateEvents, makeEvent } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, sendAll } from './support/send-events.js';

// Erasure over a scenario that touches every table: a customer with two linked devices,
// orders and a refund, traits (email, phone), rfm, clv and clusters runs, segment
// membership; then no table holds any of their ids or their email, late and replayed events
// are dropped, and every other profile is as it was. Before it, the customer's export holds
// all of it; throughout, the info log (captured) carries none of their personal data, and the
// audit log records the export and the erasure.

const DAY = 86_400_000;
const SUBJECT = 'erase-me-7f3a';
const DEVICES = ['device-erase-a1', 'device-erase-b2'];
const EMAIL = 'jane.erasure@example.com';
const PHONE = '+15550109977';
const NEEDLES = [SUBJECT, ...DEVICES, EMAIL, PHONE];
const PERSONAL = new RegExp(NEEDLES.map((n) => n.replace(/[.+]/g, '\\$&')).join('|'), 'i');
let engine: Engine;
let dataDir: string;
/** Every line the engine logged, at info level. */
const logLines: string[] = [];
let others: string[] = [];

function subjectEvents(end: number) {
  const at = (days: number, minutes = 0) =>
    new Date(end - days * DAY + minutes * 60_000).toISOString();
  return [
    makeEvent('page_view', { customerId: undefined, anonymousId: DEVICES[0], timestamp: at(30) }),
    makeEvent('page_view', { customerId: undefined, anonymousId: DEVICES[1], timestamp: at(29) }),
    makeEvent('identify', {
      customerId: SUBJECT,
      anonymousId: DEVICES[0],
      timestamp: at(28),
      properties: { traits: { email: EMAIL, phone: PHONE, name: 'Jane Erasure' } },
    }),
    makeEvent('identify', { customerId: SUBJECT, anonymousId: DEVICES[1], timestamp: at(27) }),
    ...[20, 12, 5].map((days, index) =>
      makeEvent('purchase', {
        customerId: SUBJECT,
        timestamp: at(days),
        properties: {
          orderId: `erase-order-${index}`,
          revenue: 80 + index * 10,
          currency: 'USD',
          items: [{ sku: 'sku-1', name: 'Shoe', category: 'shoes', price: 80, quantity: 1 }],
        },
      }),
    ),
    makeEvent('refund', {
      customerId: SUBJECT,
      timestamp: at(4),
      properties: { orderId: 'erase-order-1', amount: 90, currency: 'USD' },
    }),
    makeEvent('email', { customerId: SUBJECT, timestamp: at(3) }),
    makeEvent('page_view', { customerId: undefined, anonymousId: DEVICES[1], timestamp: at(2) }),
  ];
}

/** Rows of every table of the database that contain one of the needles, per table. */
async function tablesHolding(needles: string[]): Promise<Record<string, number>> {
  const tables = await engine.store.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'
     ORDER BY name`,
  );
  const found: Record<string, number> = {};
  for (const { name } of tables) {
    // Every row of every table, deleted profile rows too: reads of the erased ids below (on
    // purpose) must leave nothing of them behind.
    const [row] = await engine.store.query<{ n: number }>(
      `SELECT count() AS n FROM ${name}
       WHERE multiSearchAnyCaseInsensitive(formatRowNoNewline('TSV', *), {needles:Array(String)})`,
      { needles },
    );
    if (Number(row?.n ?? 0) > 0) found[name] = Number(row?.n);
  }
  return found;
}

async function profileOf(id: string) {
  const response = await engine.app.inject({ url: `/v1/customers/${encodeURIComponent(id)}` });
  return { status: response.statusCode, body: response.json<unknown>() };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rapport-test-'));
  const config = loadConfig({
    RAPPORT_DATA_DIR: dataDir,
    RAPPORT_LOG_LEVEL: 'info',
    RAPPORT_SCHEDULE_SEGMENTS: 'off',
    // Nearly every store statement is logged as slow: their SQL must not carry personal data.
    RAPPORT_SLOW_STATEMENT_MS: '1',
  });
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void logLines.push(line) },
  });
  engine = await createEngine({ config, logger });
  const end = Date.now() - DAY;
  const generated = [
    ...generateEvents({
      seed: 5,
      customers: 60,
      end,
      start: end - 200 * DAY,
      buyerRate: 0.8,
      refundRate: 0.3,
    }),
  ];
  const consent = [
    makeEvent('identify', {
      customerId: 'consent-yes',
      properties: { traits: { consent_marketing: 'granted', consent_analytics: 'granted' } },
    }),
    makeEvent('identify', {
      customerId: 'consent-no',
      properties: { traits: { consent_marketing: 'denied', consent_analytics: 'granted' } },
    }),
    makeEvent('identify', { customerId: 'consent-unknown', properties: { traits: { name: 'U' } } }),
  ];
  await sendAll(engine, [...generated, ...subjectEvents(end), ...consent]);
  for (const job of ['rfm', 'clusters']) expect((await runJob(engine, job)).error).toBeNull();
  expect((await runJob(engine, 'clv', { allowEmpty: true })).error).toBeNull();
  const created = await engine.app.inject({
    method: 'POST',
    url: '/v1/segments',
    payload: {
      id: 'buyers',
      name: 'Buyers',
      rule: { type: 'field', field: 'orders', op: 'gte', value: 1 },
    },
  });
  expect(created.statusCode).toBe(201);
  expect((await runJob(engine, 'segments')).error).toBeNull();
  others = (
    await engine.store.query<{ id: string }>(
      `SELECT DISTINCT customer_id AS id FROM events WHERE customer_id NOT IN ('', {s:String}) ORDER BY id`,
      { s: SUBJECT },
    )
  ).map((row) => row.id);
}, 300_000);

afterAll(async () => {
  await engine?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface ExportLine {
  table: string;
  row: Record<string, unknown>;
}

describe('consent', () => {
  it('is shown in the profile and a rule can require it: no consent, no membership', async () => {
    const profile = (await profileOf('consent-no')).body as { traits: Record<string, unknown> };
    expect(profile.traits).toMatchObject({ consent_marketing: 'denied' });
    const preview = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments/preview',
      payload: {
        rule: { type: 'field', field: 'traits.consent_marketing', op: 'eq', value: 'granted' },
        sample: 10,
      },
    });
    expect(preview.statusCode, preview.body).toBe(200);
    const answer = preview.json<{ count: number; sample: { customerId: string | null }[] }>();
    expect(answer.sample.map((member) => member.customerId)).toEqual(['consent-yes']);
    expect(answer.count).toBe(1);
  });
});

describe('exporting and erasing a customer', () => {
  it('exports everything held about the customer as NDJSON, the profile first', async () => {
    const response = await engine.app.inject({ url: `/v1/customers/${SUBJECT}/export` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = response.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ExportLine);
    expect(lines[0]?.table).toBe('profile');
    expect(lines[0]?.row).toMatchObject({ customerId: SUBJECT });
    const count = (table: string) => lines.filter((line) => line.table === table).length;
    expect(count('events')).toBe(subjectEvents(Date.now()).length);
    expect(count('identity_links')).toBe(2);
    expect(count('rfm_scores')).toBe(1);
    expect(count('cluster_assignments')).toBe(1);
    expect(count('segment_membership')).toBe(1);
    expect(count('trait_index')).toBeGreaterThanOrEqual(2);
    const events = lines.filter((line) => line.table === 'events').map((line) => line.row);
    expect(new Set(events.map((event) => event.customer_key))).toEqual(
      new Set([`c:${SUBJECT}`, ...DEVICES.map((device) => `a:${device}`)]),
    );
    expect(response.body).toContain(EMAIL);
    const unknown = await engine.app.inject({ url: '/v1/customers/nobody-here/export' });
    expect(unknown.statusCode).toBe(404);
  }, 60_000);

  it('removes every row of theirs from every table and leaves the others as they were', async () => {
    const held = await tablesHolding(NEEDLES);
    // The scenario reaches these tables, so the erasure is tested on each.
    for (const table of [
      'events',
      'identity_links',
      'customer_stats',
      'customer_traits',
      'trait_index',
      'rfm_scores',
      'profile_features',
      'segment_results',
      'segment_membership',
      'cluster_assignments',
      'report_daily',
      'report_keys',
      'report_touches',
      'report_types',
    ]) {
      expect(held[table], table).toBeGreaterThan(0);
    }
    const before = await Promise.all(others.map(profileOf));

    const response = await engine.app.inject({
      method: 'DELETE',
      url: `/v1/customers/${SUBJECT}?wait=60`,
    });
    expect(response.statusCode, response.body).toBe(200);
    const erasure = response.json<{
      erasureId: string;
      status: string;
      receipt: {
        tables: { table: string; rows: number }[];
        rowsRemoved: number;
        keysSuppressed: number;
      };
    }>();
    expect(erasure.status).toBe('done');
    expect(erasure.receipt.keysSuppressed).toBe(3);
    const removed = Object.fromEntries(erasure.receipt.tables.map((t) => [t.table, t.rows]));
    expect(removed.events).toBe(subjectEvents(Date.now()).length);
    expect(removed.identity_links).toBe(2);
    expect(JSON.stringify(erasure)).not.toMatch(PERSONAL);

    expect(await tablesHolding(NEEDLES)).toEqual({});
    const mutations = await engine.store.query<{ command: string }>(
      'SELECT command FROM system.mutations WHERE database = currentDatabase()',
    );
    expect(mutations.map((m) => m.command).join('\n')).not.toMatch(PERSONAL);

    expect((await profileOf(SUBJECT)).status).toBe(404);
    for (const device of DEVICES) {
      expect((await engine.app.inject({ url: `/v1/visitors/${device}` })).statusCode).toBe(404);
    }
    const lookup = await engine.app.inject({
      url: `/v1/customers?email=${encodeURIComponent(EMAIL)}`,
    });
    expect(lookup.json<{ customers: unknown[] }>().customers).toEqual([]);
    expect(await Promise.all(others.map(profileOf))).toEqual(before);

    const status = await engine.app.inject({ url: `/v1/erasures/${erasure.erasureId}` });
    expect(status.json()).toEqual(erasure);
  }, 120_000);

  it('drops late events for the customer and their devices, and a replay does not bring them back', async () => {
    const late = [
      makeEvent('purchase', { customerId: SUBJECT, eventId: 'late-1' }),
      makeEvent('page_view', { customerId: undefined, anonymousId: DEVICES[0], eventId: 'late-2' }),
      makeEvent('identify', {
        customerId: SUBJECT,
        anonymousId: DEVICES[1],
        eventId: 'late-3',
        properties: { traits: { email: EMAIL } },
      }),
    ];
    const response = await engine.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: { events: late },
    });
    expect(response.statusCode).toBe(200);
    const metrics = await engine.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/rapport_events_suppressed_total 3/);
    expect(await tablesHolding(NEEDLES)).toEqual({});

    await rebuildProjections(engine.store);
    expect(await tablesHolding(NEEDLES)).toEqual({});
    expect((await profileOf(SUBJECT)).status).toBe(404);
  }, 120_000);

  it('records the export and the erasure in the audit log, naming the customer by hash only', async () => {
    const response = await engine.app.inject({ url: '/v1/audit?limit=50' });
    expect(response.statusCode).toBe(200);
    const { entries } = response.json<{
      entries: { action: string; target: string; keyName: string; status: number }[];
    }>();
    const actions = entries.map((entry) => entry.action);
    expect(actions).toContain('customer.export');
    expect(actions).toContain('customer.erase');
    expect(actions).toContain('POST /v1/segments');
    const erase = entries.find((entry) => entry.action === 'customer.erase');
    expect(erase).toMatchObject({ keyName: 'unauthenticated', status: 200 });
    expect(erase?.target).toMatch(/^\/v1\/customers\/#[0-9a-f]{64}$/);
    expect(response.body).not.toMatch(PERSONAL);
  });

  it('logs none of the personal data it was sent or asked about', async () => {
    await engine.app.inject({ url: `/v1/customers?email=${encodeURIComponent(EMAIL)}` });
    await engine.app.inject({ url: `/v1/customers?phone=${encodeURIComponent(PHONE)}` });
    await engine.app.inject({ url: `/v1/customers/${encodeURIComponent(EMAIL)}` });
    const logged = logLines.join('');
    const slow = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(slow.filter((line) => line.msg === 'slow statement').length).toBeGreaterThan(10);
    expect(slow).toContainEqual(
      expect.objectContaining({ msg: 'slow statement', lane: 'read', kind: 'query' }),
    );
    const metrics = await engine.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(
      /rapport_store_statement_duration_seconds_count\{lane="read",kind="query"\} [1-9]/,
    );
    expect(logged).toContain('/v1/customers?email=[redacted]');
    expect(logged).toContain('/v1/customers?phone=[redacted]');
    expect(logged).not.toMatch(PERSONAL);
    expect(logged).not.toMatch(/remoteAddress|127\.0\.0\.1/);
  });

  it('answers a second request for the same customer with an erasure that finds nothing new', async () => {
    const response = await engine.app.inject({
      method: 'DELETE',
      url: `/v1/customers/${SUBJECT}?wait=60`,
    });
    expect(response.statusCode).toBe(200);
    const { receipt } = response.json<{ receipt: { tables: { table: string; rows: number }[] } }>();
    // Reads of the erased id since left nothing to remove either.
    expect(receipt.tables.filter((t) => t.rows > 0)).toEqual([]);
  }, 60_000);
});
