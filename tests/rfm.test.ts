import type { EventInput, RfmReport } from '@rapport/schemas';
import { currencyRatesToUsd, generateEvents, makeEvent } from '@rapport/testkit';
import { rfmSegment } from '@rapport/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, sendAll } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

const RATES = currencyRatesToUsd(['USD', 'EUR', 'GBP']);
const AS_OF = '2024-12-31';
const AS_OF_MS = Date.parse('2024-12-31T23:59:59.999Z');
const DAY = 86_400_000;

let engine: TestEngine;
const sent: EventInput[] = [];

/** Hand-made cases beside the generated ones: ties, a guest order later linked, an unlinked guest. */
function craftedEvents(): EventInput[] {
  const order = (id: string, customer: Record<string, string>, at: string, revenue: number) =>
    makeEvent('purchase', {
      eventId: id,
      customerId: undefined,
      ...customer,
      timestamp: at,
      properties: { orderId: id, revenue, currency: 'EUR' },
    }) as EventInput;
  return [
    order('tie-a-1', { customerId: 'tie-a' }, '2024-11-01T10:00:00Z', 40),
    order('tie-a-2', { customerId: 'tie-a' }, '2024-12-01T10:00:00Z', 60),
    order('tie-b-1', { customerId: 'tie-b' }, '2024-11-01T11:00:00Z', 60),
    order('tie-b-2', { customerId: 'tie-b' }, '2024-12-01T11:00:00Z', 40),
    order('guest-1', { anonymousId: 'guest-device' }, '2024-10-01T10:00:00Z', 99),
    makeEvent('identify', {
      eventId: 'guest-identify',
      customerId: 'guest-customer',
      anonymousId: 'guest-device',
      timestamp: '2024-10-02T10:00:00Z',
    }) as EventInput,
    order('stranger-1', { anonymousId: 'stranger-device' }, '2024-10-01T10:00:00Z', 10),
    order('future-1', { customerId: 'tie-a' }, '2025-01-02T10:00:00Z', 1000),
    makeEvent('refund', {
      eventId: 'tie-a-refund',
      customerId: 'tie-a',
      timestamp: '2024-12-02T10:00:00Z',
      properties: { orderId: 'tie-a-2', amount: 60, currency: 'EUR' },
    }) as EventInput,
    makeEvent('refund', {
      eventId: 'tie-b-refund',
      customerId: 'tie-b',
      timestamp: '2024-12-02T10:00:00Z',
      properties: { orderId: 'tie-b-1', amount: 60, currency: 'EUR' },
    }) as EventInput,
  ];
}

beforeAll(async () => {
  engine = await startTestEngine({ RAPPORT_CURRENCY_RATES: RATES });
  for (const event of generateEvents({
    seed: 7,
    customers: 600,
    buyerRate: 0.8,
    currencies: { USD: 0.6, EUR: 0.3, GBP: 0.1 },
    end: '2025-01-15T00:00:00Z',
  })) {
    sent.push(event);
  }
  sent.push(...craftedEvents());
  await sendAll(engine, sent);
}, 120_000);
afterAll(() => engine.dispose());

interface Expected {
  customerId: string;
  recencyDays: number;
  frequency: number;
  monetary: number;
  r: number;
  f: number;
  m: number;
  segment: string;
}

/** RFM computed the long way, from the events as sent. */
function expectedScores(events: EventInput[]): Map<string, Expected> {
  const rates: Record<string, number> = { USD: 1 };
  for (const pair of RATES.split(',')) {
    const [code = '', rate = ''] = pair.split('=');
    rates[code] = Number(rate);
  }
  const units = (value: number, currency: string) =>
    Math.round((Math.round(value * (rates[currency] ?? NaN) * 10_000) / 10_000) * 10_000);
  const at = (event: EventInput) => Date.parse(event.timestamp);

  // Whom each anonymous id belongs to at the as-of time: its latest identify by event time.
  const links = new Map<string, { owner: string; at: number; id: string }>();
  for (const event of events) {
    if (event.type !== 'identify' || !event.anonymousId || at(event) > AS_OF_MS) continue;
    const current = links.get(event.anonymousId);
    const key = { owner: event.customerId, at: at(event), id: event.eventId ?? '' };
    if (!current || key.at > current.at || (key.at === current.at && key.id > current.id)) {
      links.set(event.anonymousId, key);
    }
  }
  const ownerOf = (event: EventInput) =>
    event.customerId ?? (event.anonymousId ? links.get(event.anonymousId)?.owner : undefined);

  const totals = new Map<string, { orders: number; last: number; money: number }>();
  for (const event of events) {
    if ((event.type !== 'purchase' && event.type !== 'refund') || at(event) > AS_OF_MS) continue;
    const owner = ownerOf(event);
    if (!owner) continue;
    const entry = totals.get(owner) ?? { orders: 0, last: 0, money: 0 };
    if (event.type === 'purchase') {
      entry.orders++;
      entry.last = Math.max(entry.last, at(event));
      entry.money += units(event.properties.revenue, event.properties.currency.toUpperCase());
    } else {
      entry.money -= units(event.properties.amount, event.properties.currency.toUpperCase());
    }
    totals.set(owner, entry);
  }
  const scored = [...totals.entries()]
    .filter(([, t]) => t.orders > 0)
    .map(([customerId, t]) => ({
      customerId,
      recencyDays: Math.floor(AS_OF_MS / DAY) - Math.floor(t.last / DAY),
      frequency: t.orders,
      money: t.money,
    }));
  const n = scored.length;
  // 1 + floor(5p/n), p = how many customers are strictly worse on the measure.
  const score = (worse: number) => 1 + Math.floor((5 * worse) / n);
  const result = new Map<string, Expected>();
  for (const c of scored) {
    const r = score(scored.filter((o) => o.recencyDays > c.recencyDays).length);
    const f = score(scored.filter((o) => o.frequency < c.frequency).length);
    const m = score(scored.filter((o) => o.money < c.money).length);
    result.set(c.customerId, {
      customerId: c.customerId,
      recencyDays: c.recencyDays,
      frequency: c.frequency,
      monetary: c.money / 10_000,
      r,
      f,
      m,
      segment: rfmSegment(r, f),
    });
  }
  return result;
}

describe('the rfm job', () => {
  let runId = '';

  it('agrees exactly with the straightforward computation', async () => {
    const run = await runJob(engine, 'rfm', { asOf: AS_OF });
    expect(run).toMatchObject({ status: 'succeeded', error: null });
    runId = run.runId;
    const rows = await engine.store.query<Expected & { recency_days: number; customer_id: string }>(
      `SELECT customer_id, recency_days, frequency, toFloat64(monetary) AS monetary, r, f, m, segment
       FROM rfm_scores WHERE run_id = {runId:String}`,
      { runId },
    );
    const expected = expectedScores(sent);
    expect(expected.size).toBeGreaterThan(100);
    const actual = new Map(
      rows.map((row) => [
        row.customer_id,
        {
          customerId: row.customer_id,
          recencyDays: Number(row.recency_days),
          frequency: Number(row.frequency),
          monetary: Number(row.monetary),
          r: Number(row.r),
          f: Number(row.f),
          m: Number(row.m),
          segment: row.segment,
        },
      ]),
    );
    expect(actual.size).toBe(expected.size);
    for (const [customerId, want] of expected) {
      const got = actual.get(customerId);
      expect(got, customerId).toBeDefined();
      expect({ ...got, monetary: Math.round((got?.monetary ?? 0) * 10_000) }).toEqual({
        ...want,
        monetary: Math.round(want.monetary * 10_000),
      });
    }
  });

  it('scores ties alike and counts guest orders for the customer they were linked to', async () => {
    const rows = await engine.store.query<{
      customer_id: string;
      score: string;
      frequency: number;
      monetary: number;
    }>(
      `SELECT customer_id, score, frequency, toFloat64(monetary) AS monetary FROM rfm_scores
       WHERE run_id = {runId:String} AND customer_id IN ('tie-a', 'tie-b', 'guest-customer', 'stranger-device')
       ORDER BY customer_id`,
      { runId },
    );
    expect(rows.map((row) => row.customer_id)).toEqual(['guest-customer', 'tie-a', 'tie-b']);
    expect(rows[1]?.score).toBe(rows[2]?.score);
    expect(rows[0]).toMatchObject({ frequency: 1 });
    expect(Number(rows[1]?.monetary)).toBeCloseTo(40 * 1.087, 1);
  });

  it('reports the grid and the named segments, and shows the scores in profiles', async () => {
    const report = (await engine.app.inject({ url: '/v1/reports/rfm' })).json<RfmReport>();
    expect(report.runId).toBe(runId);
    expect(report.grid).toHaveLength(25);
    expect(report.grid.reduce((sum, cell) => sum + cell.customers, 0)).toBe(report.customers);
    expect(report.segments.reduce((sum, s) => sum + s.customers, 0)).toBe(report.customers);
    expect(report.asOf).toBe(new Date(AS_OF_MS).toISOString());
    const profile = (await engine.app.inject({ url: '/v1/customers/tie-a' })).json<{
      rfm: { runId: string; segment: string };
    }>();
    expect(profile.rfm).toMatchObject({ runId, segment: expect.any(String) });
    const byRun = await engine.app.inject({ url: `/v1/reports/rfm?runId=${runId}` });
    expect(byRun.statusCode).toBe(200);
    expect((await engine.app.inject({ url: '/v1/reports/rfm?runId=nope' })).statusCode).toBe(404);
  });

  it('lists runs with their timings', async () => {
    const runs = (await engine.app.inject({ url: '/v1/jobs/runs?job=rfm' })).json<{
      runs: { runId: string; phases: { name: string; seconds: number }[]; rowsWritten: number }[];
    }>().runs;
    expect(runs[0]?.runId).toBe(runId);
    expect(runs[0]?.phases.map((phase) => phase.name)).toEqual(['score', 'summarize']);
    expect(runs[0]?.rowsWritten).toBeGreaterThan(100);
    const jobs = (await engine.app.inject({ url: '/v1/jobs' })).json<{
      jobs: { name: string; lastRun: { runId: string } }[];
    }>();
    expect(jobs.jobs.find((job) => job.name === 'rfm')?.lastRun.runId).toBe(runId);
    const bad = await engine.app.inject({
      method: 'POST',
      url: '/v1/jobs/rfm/runs',
      payload: { asOf: 'yesterday' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toMatch(/asOf/);
  });

  it('refuses an asOf outside the time events can have, naming the parameter', async () => {
    const tomorrowAndMore = new Date(Date.now() + 3 * DAY).toISOString().slice(0, 10);
    for (const asOf of ['0000-01-01', '9999-12-31', '1899-12-31', tomorrowAndMore]) {
      const answer = await engine.app.inject({
        method: 'POST',
        url: '/v1/jobs/rfm/runs',
        payload: { asOf },
      });
      expect(answer.statusCode, asOf).toBe(400);
      expect(answer.json<{ message: string }>().message).toMatch(
        /^asOf: .* is outside the time events can have: from 1900-01-01/,
      );
    }
  });

  it('keeps the latest results when a run scores no one, unless asked to publish it', async () => {
    // Before any order: a plausible time, but no one to score.
    const empty = await runJob(engine, 'rfm', { asOf: '2000-01-02' });
    expect(empty.status).toBe('failed');
    expect(empty.error).toMatch(/scored no one as of 2000-01-02.*allowEmpty: true/);
    const report = (await engine.app.inject({ url: '/v1/reports/rfm' })).json<RfmReport>();
    expect(report.runId).toBe(runId);
    const profile = (await engine.app.inject({ url: '/v1/customers/tie-a' })).json<{
      rfm: { runId: string } | null;
    }>();
    expect(profile.rfm?.runId).toBe(runId);

    const published = await runJob(engine, 'rfm', { asOf: '2000-01-02', allowEmpty: true });
    expect(published.status).toBe('succeeded');
    const after = (await engine.app.inject({ url: '/v1/reports/rfm' })).json<RfmReport>();
    expect(after).toMatchObject({ runId: published.runId, customers: 0 });

    // The scores as they were, for whatever reads them after this test.
    expect((await runJob(engine, 'rfm', { asOf: AS_OF })).status).toBe('succeeded');
  });
});
