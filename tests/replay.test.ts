import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProfileCache, ProfileService } from '@rapport/profiles';
import { LatestRuns, RunStore } from '@rapport/runs';
import { SegmentDirectory } from '@rapport/segments';
import { createNormalizeEventStep, createValidateEventStep } from '@rapport/ingest';
import type { Profile } from '@rapport/schemas';
import { migrationsDir } from '@rapport/schemas';
import { migrate, openStore, rebuildProjections, type Store } from '@rapport/store';
import { generateEvents, Random } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let store: Store;
const customerIds = new Set<string>();

/** The generated events as stored rows, arriving shuffled, in many small inserts. */
async function streamIn(store: Store) {
  const validate = createValidateEventStep();
  const normalize = createNormalizeEventStep({
    reportingCurrency: 'USD',
    currencyRates: { USD: 1 },
  });
  const lines: string[] = [];
  for (const raw of generateEvents({ seed: 11, customers: 400, buyerRate: 0.7 })) {
    const valid = validate(raw);
    if (!valid.ok) throw new Error(JSON.stringify(valid.errors));
    const stored = normalize(valid.value, Date.parse('2025-01-01T00:00:00Z'));
    if (!stored.ok) throw new Error(JSON.stringify(stored.errors));
    if (stored.value.customer_id !== '') customerIds.add(stored.value.customer_id);
    lines.push(JSON.stringify(stored.value));
  }
  const random = new Random(99);
  for (let i = lines.length - 1; i > 0; i--) {
    const j = random.nextUint32() % (i + 1);
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  for (let start = 0; start < lines.length; start += 250) {
    await store.insertJsonLines('events', Buffer.from(lines.slice(start, start + 250).join('\n')));
  }
  return lines.length;
}

/** Every projection, finalized and in a fixed order. */
async function snapshot(store: Store) {
  return {
    stats: await store.query(`
      SELECT customer_key, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
             max(last_received) AS last_received, sum(event_count) AS events,
             sumMap(events_by_type) AS by_type, sumMap(events_by_channel) AS by_channel,
             uniqExactMerge(visit_days) AS visits, sum(orders) AS orders, sum(revenue) AS revenue,
             sum(refunds) AS refunds, sum(refunded) AS refunded, argMaxMerge(last_order) AS last_order,
             max(last_order_at) AS last_order_at, sumMap(email_actions) AS email,
             sumMap(categories) AS categories
      FROM customer_stats GROUP BY customer_key ORDER BY customer_key`),
    traits: await store.query(
      'SELECT customer_id, trait, argMaxMerge(value) AS value FROM customer_traits GROUP BY customer_id, trait ORDER BY customer_id, trait',
    ),
    links: await store.query('SELECT * FROM identity_links ORDER BY anonymous_id, at, event_id'),
    index: await store.query(
      'SELECT DISTINCT * FROM trait_index ORDER BY trait, value, customer_id',
    ),
    reportTypes: await store.query(`
      SELECT day, type, channel, customer_key, sum(events) AS events, sum(amount) AS amount
      FROM report_types GROUP BY ALL ORDER BY ALL`),
    reportDaily: await store.query(`
      SELECT day, channel, customer_key, sum(events) AS events, sum(visits) AS visits,
             sum(orders) AS orders, sum(revenue) AS revenue, min(first_order_at) AS first_order,
             min(first_seen) AS first_seen, max(last_seen) AS last_seen,
             min(first_event) AS first_event, min(first_tag) AS first_tag
      FROM report_daily GROUP BY day, channel, customer_key ORDER BY ALL`),
    reportTouches: await store.query('SELECT * FROM report_touches ORDER BY ALL'),
    reportKeys: await store.query(`
      SELECT customer_key, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
             min(first_event) AS first_event
      FROM report_keys GROUP BY customer_key ORDER BY customer_key`),
  };
}

async function profiles(store: Store, asOf?: number): Promise<Record<string, Profile | undefined>> {
  const service = new ProfileService({
    store,
    cache: new ProfileCache({ maxBytes: 0 }),
    latest: new LatestRuns(store),
    runs: new RunStore(store),
    segments: new SegmentDirectory(store),
    currency: 'USD',
    lifecycle: { lapsedAfterDays: 90 },
    now: () => Date.parse('2025-01-01T00:00:00Z'),
  });
  const result: Record<string, Profile | undefined> = {};
  for (const id of [...customerIds].sort()) result[id] = await service.customer(id, asOf);
  return result;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-replay-'));
  store = await openStore({
    mode: 'embedded',
    dataDir: dir,
    database: 'replay_test',
    readConnections: 1,
  });
  await migrate(store, migrationsDir);
  expect(await streamIn(store)).toBeGreaterThan(5_000);
}, 120_000);
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('replay', () => {
  it('rebuilds every projection to exactly what the streaming path built', async () => {
    const streamed = await snapshot(store);
    const streamedProfiles = await profiles(store);
    expect(streamed.stats.length).toBeGreaterThan(300);
    expect(customerIds.size).toBeGreaterThan(100);

    const rebuilt = await rebuildProjections(store);
    expect(rebuilt.map((projection) => projection.table).sort()).toEqual([
      'customer_stats',
      'customer_traits',
      'identity_links',
      'report_daily',
      'report_keys',
      'report_touches',
      'report_types',
      'trait_index',
    ]);
    expect(await snapshot(store)).toEqual(streamed);
    expect(await profiles(store)).toEqual(streamedProfiles);
  });

  it('computes as-of profiles from the log exactly as the projections do', async () => {
    const current = await profiles(store);
    const asOfNow = await profiles(store, Date.parse('2025-01-01T00:00:00Z'));
    for (const id of Object.keys(current)) {
      expect({ ...asOfNow[id], asOf: null }, id).toEqual({ ...current[id], rfm: null });
    }
  });
});
