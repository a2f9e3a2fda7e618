import {
  eventRow,
  insertRows,
  openTestStore,
  type EventRowInput,
  type TestStore,
} from '@rapport/store/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../job-runner.js';
import type { RunRecord } from '../job.js';
import { createSegmentsJob } from '../segments/segments-job.js';
import { defineSegment } from '../testing/segment-definitions.js';
import { createClustersJob } from './clusters-job.js';

const DAY = 86_400_000;
const logger = pino({ level: 'silent' });
let test: TestStore;

/** A small deterministic generator (Park–Miller), so the planted data is the same every run. */
function random(seed: number) {
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}
const rand = random(42);
const between = (low: number, high: number) => low + Math.floor(rand() * (high - low + 1));

let eventCount = 0;
function event(
  profile: string,
  type: string,
  at: number,
  extra: Omit<EventRowInput, 'type' | 'at'> = {},
) {
  eventCount++;
  const id = profile.slice(2);
  return eventRow({
    ...(profile.startsWith('a:') ? { anonymousId: id } : { customerId: id }),
    type,
    at,
    ...extra,
  });
}

const CATEGORIES = ['shoes', 'bags', 'books', 'toys', 'garden', 'audio'];

function purchase(profile: string, at: number, amount: number, category: string) {
  const orderId = `o${eventCount + 1}`;
  return event(profile, 'purchase', at, {
    orderId,
    amount,
    currency: 'USD',
    properties: {
      orderId,
      revenue: amount,
      currency: 'USD',
      items: [{ sku: `sku-${category}`, category, price: amount, quantity: 1 }],
    },
  });
}

const pageView = (profile: string, at: number) =>
  event(profile, 'page_view', at, { properties: { url: 'https://shop.example/' } });

/** The behaviour groups planted, each a kind of profile a shop would recognise. */
const GROUPS = {
  /** Frequent, high-spending, recent buyers across several categories. */
  buyers: (profile: string, now: number) => [
    purchase(profile, now - between(1, 5) * DAY, between(150, 400), CATEGORIES[0] ?? ''),
    ...Array.from({ length: between(7, 13) }, (_, i) =>
      purchase(profile, now - between(6, 90) * DAY, between(120, 400), CATEGORIES[i % 5] ?? ''),
    ),
    ...Array.from({ length: between(3, 6) }, (_, i) => pageView(profile, now - (i * 7 + 2) * DAY)),
  ],
  /** Customers who read and click emails but never buy. */
  readers: (profile: string, now: number) =>
    Array.from({ length: between(8, 12) }, (_, i) => {
      const at = now - (i * 3 + between(1, 2)) * DAY;
      const campaignId = `c${i}`;
      const email = (action: string, offset: number) =>
        event(profile, 'email', at + offset, {
          channel: 'email',
          properties: { action, campaignId },
        });
      return [
        email('sent', 0),
        ...(rand() < 0.9 ? [email('opened', 60_000)] : []),
        ...(rand() < 0.6 ? [email('clicked', 120_000)] : []),
      ];
    }).flat(),
  /** Anonymous visitors who browse and search a lot and never buy. */
  browsers: (profile: string, now: number) => [
    ...Array.from({ length: between(10, 20) }, (_, i) => pageView(profile, now - (i + 1) * DAY)),
    ...Array.from({ length: between(6, 15) }, (_, i) =>
      event(profile, 'search', now - (i + 1) * DAY + 3_600_000, {
        properties: { query: 'trail shoes' },
      }),
    ),
  ],
  /** One small order long ago, nothing since. */
  oneOff: (profile: string, now: number) => {
    const at = now - between(400, 700) * DAY;
    return [purchase(profile, at, between(20, 60), 'books'), pageView(profile, at - 600_000)];
  },
};
type Group = keyof typeof GROUPS;
const PREFIX: Record<Group, string> = {
  buyers: 'c:buyer-',
  readers: 'c:reader-',
  browsers: 'a:browser-',
  oneOff: 'c:oneoff-',
};
const groupOf = (profile: string) =>
  (Object.keys(PREFIX) as Group[]).find((group) => profile.startsWith(PREFIX[group]));

async function plant(counts: Record<Group, number>, from: number) {
  const now = Date.now();
  const rows = (Object.keys(GROUPS) as Group[]).flatMap((group) =>
    Array.from({ length: counts[group] }, (_, i) =>
      GROUPS[group](`${PREFIX[group]}${from + i}`, now),
    ).flat(),
  );
  await insertRows(test.store, 'events', rows);
}

async function run(params: Record<string, unknown>, defaultK?: number): Promise<RunRecord> {
  const job = createClustersJob(defaultK === undefined ? {} : { defaultK });
  const runner = new JobRunner({ store: test.store, logger, jobs: [job] });
  const { finished } = await runner.start('clusters', params, 'api');
  const record = await finished;
  expect(record.error).toBeNull();
  return record;
}

/** The cluster each group mostly fell in, and the share of the group in it. */
async function groupClusters(runId: string) {
  const rows = await test.store.query<{ profile_key: string; cluster: number }>(
    'SELECT profile_key, cluster FROM cluster_assignments WHERE run_id = {runId:String}',
    { runId },
  );
  const counts = new Map<Group, Map<number, number>>();
  for (const row of rows) {
    const group = groupOf(row.profile_key);
    if (!group) throw new Error(`unplanted profile ${row.profile_key}`);
    const byCluster = counts.get(group) ?? new Map<number, number>();
    byCluster.set(Number(row.cluster), (byCluster.get(Number(row.cluster)) ?? 0) + 1);
    counts.set(group, byCluster);
  }
  const result = {} as Record<Group, { cluster: number; purity: number }>;
  for (const [group, byCluster] of counts) {
    const total = [...byCluster.values()].reduce((a, b) => a + b, 0);
    const [cluster, members] = [...byCluster.entries()].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
    result[group] = { cluster, purity: members / total };
  }
  return { rows: rows.length, groups: result };
}

async function labels(runId: string) {
  const rows = await test.store.query<{ cluster: number; label: string; size: number }>(
    'SELECT cluster, label, size FROM cluster_centroids WHERE run_id = {runId:String}',
    { runId },
  );
  return new Map(rows.map((row) => [Number(row.cluster), row]));
}

beforeAll(async () => {
  test = await openTestStore();
  await plant({ buyers: 60, readers: 70, browsers: 80, oneOff: 60 }, 0);
});
afterAll(async () => {
  await test.dispose();
});

describe('the clusters job', () => {
  let first: RunRecord;
  let firstIds: Record<Group, number>;

  it('finds the planted behaviour groups, with k chosen by silhouette', async () => {
    first = await run({});
    expect(first.status).toBe('succeeded');
    expect(first.summary).toMatchObject({ profiles: 270, k: 4, kChosenBy: 'silhouette' });
    const tried = first.summary.tried as { k: number; silhouette: number }[];
    expect(tried.map((t) => t.k)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(Math.max(...tried.map((t) => t.silhouette))).toBe(first.summary.silhouette);
    expect(first.phases.map((phase) => phase.name)).toEqual([
      'features',
      'sample',
      'fit',
      'match',
      'assign',
      'describe',
    ]);

    const { rows, groups } = await groupClusters(first.runId);
    expect(rows).toBe(270);
    for (const group of Object.values(groups)) expect(group.purity).toBeGreaterThanOrEqual(0.95);
    firstIds = {
      buyers: groups.buyers.cluster,
      readers: groups.readers.cluster,
      browsers: groups.browsers.cluster,
      oneOff: groups.oneOff.cluster,
    };
    expect(new Set(Object.values(firstIds))).toEqual(new Set([1, 2, 3, 4]));

    const byId = await labels(first.runId);
    expect(byId.get(firstIds.buyers)?.label).toMatch(/many orders|high net revenue/);
    expect(byId.get(firstIds.readers)?.label).toMatch(/opens emails|clicks emails/);
    expect(byId.get(firstIds.browsers)?.label).toMatch(/many visits|many searches/);
    expect(byId.get(firstIds.oneOff)?.label).toMatch(/long inactive/);
    expect(Number(byId.get(firstIds.browsers)?.size)).toBe(80);
  });

  it('drops its features snapshot when done', async () => {
    const [row] = await test.store.query<{ n: number }>(
      'SELECT count() AS n FROM profile_features WHERE run_id = {runId:String}',
      { runId: first.runId },
    );
    expect(Number(row?.n)).toBe(0);
  });

  it('keeps cluster ids from one run to the next, though new profiles move the centroids', async () => {
    await plant({ buyers: 15, readers: 5, browsers: 0, oneOff: 10 }, 1000);
    const second = await run({});
    expect(second.summary).toMatchObject({
      profiles: 300,
      k: 4,
      previousRun: first.runId,
      matched: 4,
    });
    const { groups } = await groupClusters(second.runId);
    for (const group of Object.keys(firstIds) as Group[]) {
      expect(groups[group]).toMatchObject({ cluster: firstIds[group] });
      expect(groups[group].purity).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('takes k from the run, else from the configured default; a new cluster gets a new id', async () => {
    const five = await run({ k: 5 });
    expect(five.summary).toMatchObject({ k: 5, kChosenBy: 'param', matched: 4 });
    expect([...(await labels(five.runId)).keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    const configured = await run({}, 3);
    expect(configured.summary).toMatchObject({ k: 3, kChosenBy: 'config', matched: 3 });
    // Assignments of older runs are dropped: this run's and the one profiles read before it.
    const kept = await test.store.query<{ run_id: string }>(
      'SELECT DISTINCT run_id FROM cluster_assignments',
    );
    expect(kept.map((row) => row.run_id).sort()).toEqual([five.runId, configured.runId].sort());
  });

  it('makes fewer clusters than asked when the data cannot fill them, and warns', async () => {
    // Four groups of about a quarter each: five clusters cannot all hold a fifth of them.
    const reduced = await run({ k: 5, minClusterShare: 0.2 });
    expect(reduced.summary).toMatchObject({ k: 4, kChosenBy: 'param', minClusterShare: 0.2 });
    const warnings = reduced.summary.warnings as string[];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^asked for 5 clusters, made 4: k = 5 made a cluster of [\d.]+ % of the sample, under the minimum of 20 %$/,
    );
    const tried = reduced.summary.tried as { k: number; shortfall?: { smallestShare: number } }[];
    expect(tried.map((t) => t.k)).toEqual([5, 4]);
    expect(tried[0]?.shortfall?.smallestShare).toBeLessThan(0.2);
    expect([...(await labels(reduced.runId)).values()].every((c) => c.size >= 60)).toBe(true);
    // As many as asked: no warning.
    expect((await run({ k: 4 })).summary.warnings).toEqual([]);
  });

  it('puts a planted extreme profile in the cluster of its kind, not one of its own', async () => {
    // A buyer with 400 orders of 20,000 in every category: more than thirty times the
    // heaviest planted buyer's orders and fifty times their spend.
    const now = Date.now();
    const whale = 'c:buyer-whale';
    await insertRows(test.store, 'events', [
      ...Array.from({ length: 400 }, (_, i) =>
        purchase(whale, now - (1 + (i % 90)) * DAY, 20_000, CATEGORIES[i % 6] ?? ''),
      ),
      ...Array.from({ length: 60 }, (_, i) => pageView(whale, now - (i + 1) * DAY)),
    ]);
    // Unclipped, a fifth cluster goes to the whale alone.
    const plain = await run({ k: 5, winsorize: 0, minClusterShare: 0 });
    expect([...(await labels(plain.runId)).values()].map((c) => Number(c.size))).toContain(1);
    // Winsorized, the fifth cluster splits a planted group instead.
    const five = await run({ k: 5 });
    expect(five.summary).toMatchObject({ k: 5, warnings: [] });
    const fiveSizes = [...(await labels(five.runId)).values()].map((c) => Number(c.size));
    expect(Math.min(...fiveSizes)).toBeGreaterThanOrEqual(10);
    const record = await run({ k: 4 });
    expect(record.summary).toMatchObject({ profiles: 301, k: 4, warnings: [] });
    const sizes = [...(await labels(record.runId)).values()].map((c) => Number(c.size));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(60);
    const { groups } = await groupClusters(record.runId);
    const [assigned] = await test.store.query<{ cluster: number }>(
      `SELECT cluster FROM cluster_assignments
       WHERE run_id = {runId:String} AND profile_key = {whale:String}`,
      { runId: record.runId, whale },
    );
    expect(Number(assigned?.cluster)).toBe(groups.buyers.cluster);
    expect(groups.buyers.purity).toBe(1);
    // Winsorized at the sample's 99.5th percentile, not at the whale's 400 orders.
    const bounds = record.summary.winsorBounds as Record<string, [number, number]>;
    expect(bounds.orders?.[1]).toBeLessThan(20);
  });

  it('copies the profiles unchanged since the latest segments run from its snapshot', async () => {
    const computed = await run({});
    expect(computed.summary).toMatchObject({ snapshot: { copiedFrom: null } });
    // A segments run (one segment, so that it takes a snapshot), then clusters again.
    await defineSegment(test.store, 'buyers', 1, {
      type: 'field',
      field: 'orders',
      op: 'gte',
      value: 1,
    });
    const segmentsJob = createSegmentsJob({ lapsedAfterDays: 90, notify: async () => {} });
    const runner = new JobRunner({ store: test.store, logger, jobs: [segmentsJob] });
    const segments = await (await runner.start('segments', {}, 'cli')).finished;
    expect(segments.error).toBeNull();
    const copied = await run({});
    expect(copied.summary).toMatchObject({
      profiles: computed.summary.profiles,
      snapshot: { computed: 0, copiedFrom: segments.runId },
    });
    const assignments = (runId: string) =>
      test.store.query<{ profile_key: string; cluster: number }>(
        `SELECT profile_key, cluster FROM cluster_assignments
         WHERE run_id = {runId:String} ORDER BY profile_key`,
        { runId },
      );
    expect(await assignments(copied.runId)).toEqual(await assignments(computed.runId));
    // The fingerprints are working data of each snapshot: dropped once it is written.
    const [left] = await test.store.query<{ n: number }>(
      'SELECT count() AS n FROM profile_fingerprints',
    );
    expect(Number(left?.n)).toBe(0);
  });

  it('rejects bad parameters, naming them', async () => {
    const runner = new JobRunner({ store: test.store, logger, jobs: [createClustersJob()] });
    await expect(runner.start('clusters', { k: 1 }, 'api')).rejects.toThrow(/^k: /);
    await expect(runner.start('clusters', { kMin: 5, kMax: 3 }, 'api')).rejects.toThrow(
      /kMax: must be at least kMin/,
    );
    await expect(runner.start('clusters', { sampleSize: 'many' }, 'api')).rejects.toThrow(
      /sampleSize: /,
    );
    await expect(runner.start('clusters', { minClusterShare: 0.9 }, 'api')).rejects.toThrow(
      /minClusterShare: /,
    );
    await expect(runner.start('clusters', { winsorize: -1 }, 'api')).rejects.toThrow(/winsorize: /);
  });
});
