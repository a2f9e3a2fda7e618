import type {
  CampaignsReport,
  ChannelsReport,
  CohortsReport,
  EventInput,
  LifecycleReport,
  OverviewReport,
} from '@rapport/schemas';
import { generateEvents } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendAll } from './support/send-events.js';
import {
  campaignsModel,
  cents,
  channelsModel,
  cohortsModel,
  lifecycleModel,
  modelEvents,
  overviewModel,
  type ModelEvent,
} from './support/reports-model.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

let engine: TestEngine;
let model: ModelEvent[];
const sent: EventInput[] = [];

/** The generated period ends 2024-12-31; these checks look at its last quarter. */
const Q4 = { from: '2024-10-01', to: '2025-01-01' };
const Q4_MS = { from: Date.parse('2024-10-01T00:00:00Z'), to: Date.parse('2025-01-01T00:00:00Z') };

/**
 * Hand-made cases after the generated period, with answers worked out by hand: an email
 * funnel with a bounce, an unsubscribe and a complaint; untagged and tagged visits; cohorts
 * crossing a year.
 */
function craftedEvents(): EventInput[] {
  let n = 0;
  const event = (fields: Record<string, unknown>) =>
    ({ eventId: `crafted-${++n}`, ...fields }) as unknown as EventInput;
  const email = (customerId: string, action: string, timestamp: string) =>
    event({
      type: 'email',
      customerId,
      channel: 'email',
      timestamp,
      properties: { action, campaignId: 'nov-news', messageId: `m-${customerId}` },
    });
  const order = (customerId: string, timestamp: string, revenue: number) =>
    event({
      type: 'purchase',
      customerId,
      channel: 'web',
      timestamp,
      properties: { orderId: `o-${n}`, revenue, currency: 'USD' },
    });
  const view = (
    ids: Record<string, string>,
    timestamp: string,
    channel: string,
    campaign?: object,
  ) =>
    event({
      type: 'page_view',
      ...ids,
      channel,
      timestamp,
      ...(campaign ? { context: { campaign } } : {}),
      properties: { url: 'https://shop.example/' },
    });
  return [
    order('x1', '2025-11-01T08:00:00Z', 30),
    email('x1', 'sent', '2025-11-02T09:00:00Z'),
    email('x1', 'delivered', '2025-11-02T09:01:00Z'),
    email('x1', 'opened', '2025-11-02T10:00:00Z'),
    email('x1', 'clicked', '2025-11-02T10:05:00Z'),
    view({ customerId: 'x1' }, '2025-11-02T10:06:00Z', 'web', {
      source: 'newsletter',
      medium: 'email',
      name: 'nov-news',
    }),
    order('x1', '2025-11-04T12:00:00Z', 100),
    order('x1', '2025-11-12T12:00:00Z', 50),
    email('x2', 'sent', '2025-11-02T09:00:00Z'),
    email('x2', 'bounced', '2025-11-02T09:02:00Z'),
    email('x3', 'sent', '2025-11-02T09:00:00Z'),
    email('x3', 'delivered', '2025-11-02T09:01:00Z'),
    email('x3', 'opened', '2025-11-02T11:00:00Z'),
    email('x3', 'unsubscribed', '2025-11-02T11:05:00Z'),
    email('x4', 'sent', '2025-11-02T09:00:00Z'),
    email('x4', 'delivered', '2025-11-02T09:01:00Z'),
    email('x4', 'complained', '2025-11-03T09:00:00Z'),
    view({ anonymousId: 'anon-v1' }, '2025-11-05T15:00:00Z', 'web'),
    view({ anonymousId: 'anon-v1' }, '2025-11-06T15:00:00Z', 'mobile', {
      source: 'google',
      medium: 'cpc',
      name: 'brand',
    }),
    order('y1', '2025-12-15T10:00:00Z', 20),
    order('y1', '2026-01-10T10:00:00Z', 30),
    order('y1', '2026-02-20T10:00:00Z', 40),
    order('y2', '2025-12-31T23:30:00Z', 10),
    order('y2', '2026-01-01T00:30:00Z', 15),
    order('y3', '2026-01-05T10:00:00Z', 50),
  ];
}

async function report<T>(path: string): Promise<T> {
  const response = await engine.app.inject({ url: path });
  if (response.statusCode !== 200)
    throw new Error(`${path}: ${response.statusCode} ${response.body}`);
  return response.json<T>();
}

beforeAll(async () => {
  engine = await startTestEngine();
  for (const event of generateEvents({ seed: 18, customers: 500, buyerRate: 0.7 })) {
    sent.push(event);
  }
  sent.push(...craftedEvents());
  await sendAll(engine, sent);
  model = modelEvents(sent);
}, 180_000);
afterAll(() => engine.dispose());

describe('overview', () => {
  for (const channel of [undefined, 'web'] as const) {
    it(`matches the events sent${channel ? ` on ${channel}` : ''}`, async () => {
      const query = `from=${Q4.from}&to=${Q4.to}${channel ? `&channel=${channel}` : ''}`;
      const answer = await report<OverviewReport>(`/v1/reports/overview?${query}`);
      const expected = overviewModel(model, Q4_MS, channel);
      expect(expected.events).toBeGreaterThan(500);
      expect(answer.totals.events).toBe(expected.events);
      expect(
        new Map(answer.events.map((row) => [`${row.day}|${row.type}|${row.channel}`, row.events])),
      ).toEqual(expected.eventsByKey);
      expect(answer.totals.activeProfiles).toBe(expected.activeProfiles);
      expect(answer.activeProfiles.daily).toHaveLength(92);
      for (const row of answer.activeProfiles.daily) {
        expect(row.profiles).toBe(expected.daily.get(row.period) ?? 0);
      }
      expect(new Map(answer.activeProfiles.weekly.map((r) => [r.period, r.profiles]))).toEqual(
        expected.weekly,
      );
      expect(new Map(answer.activeProfiles.monthly.map((r) => [r.period, r.profiles]))).toEqual(
        expected.monthly,
      );
      expect(answer.totals.orders).toBe(expected.orders);
      expect(answer.totals.revenue).toBeCloseTo(expected.revenue, 1);
      expect(answer.totals.refunded).toBeCloseTo(expected.refunded, 1);
      for (const row of answer.orders) {
        expect(row.revenue).toBe(expected.revenueOn(row.day));
        expect(row.refunded).toBe(expected.refundedOn(row.day));
        expect(row.netRevenue).toBe(cents(row.revenue - row.refunded));
      }
      expect(answer.totals.newCustomers).toBe(expected.newCustomers);
      expect(answer.totals.returningCustomers).toBe(expected.returningCustomers);
      expect(answer.totals.newCustomers + answer.totals.returningCustomers).toBeGreaterThan(0);
      for (const row of answer.customers) {
        expect({ new: row.new, returning: row.returning }).toEqual(expected.customersOn(row.day));
      }
    });
  }

  it('defaults to the 30 days up to the day after the latest event', async () => {
    const answer = await report<OverviewReport>('/v1/reports/overview');
    expect(answer.to).toBe('2026-02-21T00:00:00.000Z');
    expect(answer.from).toBe('2026-01-22T00:00:00.000Z');
    expect(answer.totals.orders).toBe(1);
    expect(answer.totals.revenue).toBe(40);
  });
});

describe('lifecycle', () => {
  it('counts each stage at the start and end of the period and the flows between them', async () => {
    const lapsedAfterDays = engine.profiles.lifecycle.lapsedAfterDays;
    const answer = await report<LifecycleReport>(
      `/v1/reports/lifecycle?from=${Q4.from}&to=${Q4.to}`,
    );
    const expected = lifecycleModel(model, Q4_MS, lapsedAfterDays);
    expect(answer.lapsedAfterDays).toBe(lapsedAfterDays);
    expect(answer.stages).toEqual(expected.stages);
    expect(new Map(answer.flows.map((f) => [`${f.from}>${f.to}`, f.profiles]))).toEqual(
      expected.flows,
    );
    for (const stage of ['visitor', 'lead', 'customer', 'repeat', 'lapsed']) {
      expect(answer.stages.find((s) => s.stage === stage)!.end).toBeGreaterThan(0);
    }
    expect(
      new Map(
        answer.prospects.sources.map((s) => [
          `${s.channel}|${s.source}|${s.medium}`,
          { visitors: s.visitors, leads: s.leads },
        ]),
      ),
    ).toEqual(expected.prospects);
    expect(answer.prospects.visitors).toBeGreaterThan(0);
    expect(answer.prospects.leads).toBeGreaterThan(0);
  });
});

describe('lifecycle over long periods', () => {
  // Bounds inside months and a whole year, each with the lapse before it reaching back past
  // the period's start; the last one reaches past the latest events (the hand-made cases), so
  // activity is told from each key's last activity rather than from its days.
  for (const period of [
    { from: '2024-03-17', to: '2024-12-13' },
    { from: '2024-01-01', to: '2025-01-01' },
    { from: '2024-07-01', to: '2026-03-01' },
  ]) {
    it(`matches the stages, flows and prospects rebuilt from the events, ${period.from} to ${period.to}`, async () => {
      const lapsedAfterDays = engine.profiles.lifecycle.lapsedAfterDays;
      const answer = await report<LifecycleReport>(
        `/v1/reports/lifecycle?from=${period.from}&to=${period.to}`,
      );
      const range = {
        from: Date.parse(`${period.from}T00:00:00Z`),
        to: Date.parse(`${period.to}T00:00:00Z`),
      };
      const expected = lifecycleModel(model, range, lapsedAfterDays);
      expect(answer.stages).toEqual(expected.stages);
      expect(new Map(answer.flows.map((f) => [`${f.from}>${f.to}`, f.profiles]))).toEqual(
        expected.flows,
      );
      expect(
        new Map(
          answer.prospects.sources.map((s) => [
            `${s.channel}|${s.source}|${s.medium}`,
            { visitors: s.visitors, leads: s.leads },
          ]),
        ),
      ).toEqual(expected.prospects);
      expect(answer.stages.find((s) => s.stage === 'lapsed')!.start).toBeGreaterThan(0);
    });
  }
});

describe('channels', () => {
  it('matches visits rebuilt from the events, tagged and untagged', async () => {
    const answer = await report<ChannelsReport>(`/v1/reports/channels?from=${Q4.from}&to=${Q4.to}`);
    const expected = channelsModel(model, Q4_MS);
    const { channel: _c, ...web } = answer.channels.find((c) => c.channel === 'web')!;
    expect(web.orders).toBeGreaterThan(0);
    expect(new Map(answer.channels.map(({ channel, ...f }) => [channel, f]))).toEqual(
      expected.byChannel,
    );
    expect(
      new Map(
        answer.campaigns.map(({ source, medium, name, ...f }) => [
          `${source}|${medium}|${name}`,
          f,
        ]),
      ),
    ).toEqual(expected.byTag);
    expect(expected.byTag.get('||')!.visits).toBeGreaterThan(0);
  });

  it('answers the hand-worked case, filtered by channel and by campaign', async () => {
    const range = 'from=2025-11-01&to=2025-12-01';
    const answer = await report<ChannelsReport>(`/v1/reports/channels?${range}`);
    expect(answer.channels).toEqual([
      {
        channel: 'web',
        visits: 5,
        profiles: 2,
        identified: 1,
        orders: 3,
        revenue: 180,
        conversionRate: 0.6,
      },
      {
        channel: 'mobile',
        visits: 1,
        profiles: 1,
        identified: 0,
        orders: 0,
        revenue: 0,
        conversionRate: 0,
      },
    ]);
    expect(answer.campaigns).toEqual([
      {
        source: '',
        medium: '',
        name: '',
        visits: 4,
        profiles: 2,
        identified: 1,
        orders: 3,
        revenue: 180,
        conversionRate: 0.75,
      },
      {
        source: 'google',
        medium: 'cpc',
        name: 'brand',
        visits: 1,
        profiles: 1,
        identified: 0,
        orders: 0,
        revenue: 0,
        conversionRate: 0,
      },
      {
        source: 'newsletter',
        medium: 'email',
        name: 'nov-news',
        visits: 1,
        profiles: 1,
        identified: 1,
        orders: 0,
        revenue: 0,
        conversionRate: 0,
      },
    ]);
    const mobile = await report<ChannelsReport>(`/v1/reports/channels?${range}&channel=mobile`);
    expect(mobile.channels.map((c) => c.channel)).toEqual(['mobile']);
    const tagged = await report<ChannelsReport>(`/v1/reports/channels?${range}&campaign=nov-news`);
    expect(tagged.channels).toEqual([
      {
        channel: 'web',
        visits: 1,
        profiles: 1,
        identified: 1,
        orders: 0,
        revenue: 0,
        conversionRate: 0,
      },
    ]);
  });
});

describe('campaigns', () => {
  it('matches the funnels and last-click attribution rebuilt from the events', async () => {
    for (const days of [7, 30]) {
      const answer = await report<CampaignsReport>(
        `/v1/reports/campaigns?from=2024-01-01&to=2025-01-01&attributionDays=${days}`,
      );
      const expected = campaignsModel(
        model,
        { from: Date.parse('2024-01-01'), to: Q4_MS.to },
        days,
      );
      expect(answer.campaigns.length).toBeGreaterThan(10);
      expect(answer.campaigns.map(({ rates: _r, ...counts }) => counts)).toEqual(
        expected.sort(
          (a, b) =>
            a.firstSentAt.localeCompare(b.firstSentAt) || a.campaignId.localeCompare(b.campaignId),
        ),
      );
      expect(answer.totals.sent).toBe(expected.reduce((s, c) => s + c.sent, 0));
      expect(answer.totals.orders).toBeGreaterThan(0);
      expect(answer.totals.bounced).toBeGreaterThan(0);
    }
  });

  it('answers the hand-worked funnel with a bounce, an unsubscribe and a complaint', async () => {
    const week = await report<CampaignsReport>(
      '/v1/reports/campaigns?from=2025-11-01&to=2025-12-01&campaign=nov-news',
    );
    expect(week.campaigns).toHaveLength(1);
    expect(week.campaigns[0]).toEqual({
      campaignId: 'nov-news',
      firstSentAt: '2025-11-02T09:00:00.000Z',
      sent: 4,
      delivered: 3,
      opened: 2,
      clicked: 1,
      ordered: 1,
      bounced: 1,
      unsubscribed: 1,
      complained: 1,
      orders: 1,
      revenue: 100,
      rates: {
        delivery: 0.75,
        open: 2 / 3,
        click: 1 / 3,
        clickToOpen: 0.5,
        order: 1,
        bounce: 0.25,
        unsubscribe: 1 / 3,
        complaint: 1 / 3,
      },
    });
    const fortnight = await report<CampaignsReport>(
      '/v1/reports/campaigns?from=2025-11-01&to=2025-12-01&attributionDays=14',
    );
    expect(fortnight.campaigns.map((c) => [c.campaignId, c.orders, c.revenue])).toEqual([
      ['nov-news', 2, 150],
    ]);
  });
});

describe('cohorts', () => {
  it('matches cohorts rebuilt from the orders, by month and by week', async () => {
    for (const granularity of ['month', 'week'] as const) {
      const answer = await report<CohortsReport>(
        `/v1/reports/cohorts?from=2023-06-01&to=2025-01-01&granularity=${granularity}`,
      );
      const expected = cohortsModel(
        model,
        { from: Date.parse('2023-06-01'), to: Q4_MS.to },
        granularity,
      );
      expect(answer.cohorts.map((c) => c.cohort)).toEqual([...expected.keys()].sort());
      for (const cohort of answer.cohorts) {
        const periods = expected.get(cohort.cohort)!;
        expect(cohort.size).toBe(periods.get(0)!.profiles.size);
        for (const period of cohort.periods) {
          const want = periods.get(period.offset);
          expect(period.customers).toBe(want?.profiles.size ?? 0);
          expect(period.revenue).toBe(cents(want?.revenue ?? 0));
        }
        expect(Math.max(...periods.keys())).toBeLessThan(cohort.periods.length);
      }
    }
  });

  it('answers the hand-worked cohorts across a new year', async () => {
    const monthly = await report<CohortsReport>(
      '/v1/reports/cohorts?from=2025-12-01&to=2026-03-01',
    );
    expect(monthly.cohorts).toEqual([
      {
        cohort: '2025-12-01',
        size: 2,
        revenue: 115,
        revenuePerMember: 57.5,
        periods: [
          { offset: 0, customers: 2, share: 1, revenue: 30, revenuePerMember: 15 },
          { offset: 1, customers: 2, share: 1, revenue: 45, revenuePerMember: 22.5 },
          { offset: 2, customers: 1, share: 0.5, revenue: 40, revenuePerMember: 20 },
        ],
      },
      {
        cohort: '2026-01-01',
        size: 1,
        revenue: 50,
        revenuePerMember: 50,
        periods: [
          { offset: 0, customers: 1, share: 1, revenue: 50, revenuePerMember: 50 },
          { offset: 1, customers: 0, share: 0, revenue: 0, revenuePerMember: 0 },
        ],
      },
    ]);
    const weekly = await report<CohortsReport>(
      '/v1/reports/cohorts?from=2025-12-01&to=2026-01-12&granularity=week',
    );
    const byCohort = new Map(weekly.cohorts.map((c) => [c.cohort, c]));
    // y2 ordered on Wednesday 31 December and on Thursday 1 January: one week, one customer.
    expect(byCohort.get('2025-12-29')!.periods[0]).toEqual({
      offset: 0,
      customers: 1,
      share: 1,
      revenue: 25,
      revenuePerMember: 25,
    });
    expect(byCohort.get('2025-12-15')!.periods.map((p) => p.customers)).toEqual([1, 0, 0, 1]);
  });
});

describe('a period not on whole days', () => {
  // The daily rollups cannot split a day: such a period is read from the event log instead.
  const from = '2024-10-15T13:30:00.250Z';
  const to = '2024-12-20T08:00:00Z';
  const range = { from: Date.parse(from), to: Date.parse(to) };
  const query = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;

  it('gives the overview, lifecycle, channels and cohorts rebuilt from the events', async () => {
    const overview = await report<OverviewReport>(`/v1/reports/overview?${query}`);
    const o = overviewModel(model, range);
    expect(overview.totals.events).toBe(o.events);
    expect(
      new Map(overview.events.map((row) => [`${row.day}|${row.type}|${row.channel}`, row.events])),
    ).toEqual(o.eventsByKey);
    expect(overview.totals.activeProfiles).toBe(o.activeProfiles);
    for (const row of overview.activeProfiles.daily) {
      expect(row.profiles).toBe(o.daily.get(row.period) ?? 0);
    }
    expect(overview.totals.orders).toBe(o.orders);
    expect(overview.totals.newCustomers).toBe(o.newCustomers);
    expect(overview.totals.returningCustomers).toBe(o.returningCustomers);

    const lapsedAfterDays = engine.profiles.lifecycle.lapsedAfterDays;
    const lifecycle = await report<LifecycleReport>(`/v1/reports/lifecycle?${query}`);
    const l = lifecycleModel(model, range, lapsedAfterDays);
    expect(lifecycle.stages).toEqual(l.stages);
    expect(new Map(lifecycle.flows.map((f) => [`${f.from}>${f.to}`, f.profiles]))).toEqual(l.flows);

    const channels = await report<ChannelsReport>(`/v1/reports/channels?${query}`);
    const c = channelsModel(model, range);
    expect(new Map(channels.channels.map(({ channel, ...f }) => [channel, f]))).toEqual(
      c.byChannel,
    );

    const cohorts = await report<CohortsReport>(`/v1/reports/cohorts?${query}`);
    const expected = cohortsModel(model, range, 'month');
    expect(cohorts.cohorts.map((cohort) => cohort.cohort)).toEqual([...expected.keys()].sort());
    for (const cohort of cohorts.cohorts) {
      const periods = expected.get(cohort.cohort)!;
      expect(cohort.size).toBe(periods.get(0)!.profiles.size);
      for (const period of cohort.periods) {
        expect(period.customers).toBe(periods.get(period.offset)?.profiles.size ?? 0);
        expect(period.revenue).toBe(cents(periods.get(period.offset)?.revenue ?? 0));
      }
    }
  });
});

describe('bad parameters', () => {
  const cases: [string, RegExp][] = [
    ['/v1/reports/overview?from=2024-13-01', /querystring.from: must be a day/],
    ['/v1/reports/overview?to=yesterday', /querystring.to: must be a day/],
    ['/v1/reports/overview?channel=fax', /querystring.channel/],
    [
      '/v1/reports/overview?from=2024-02-01&to=2024-01-01',
      /from \(2024-02-01T00:00:00.000Z\) must be before to/,
    ],
    ['/v1/reports/channels?from=2000-01-01&to=2024-01-01', /at most 3660 days/],
    ['/v1/reports/campaigns?attributionDays=0', /querystring.attributionDays/],
    ['/v1/reports/cohorts?granularity=year', /querystring.granularity/],
  ];
  for (const [url, message] of cases) {
    it(`answers 400 to ${url}`, async () => {
      const response = await engine.app.inject({ url });
      expect(response.statusCode).toBe(400);
      expect(response.json<{ message: string }>().message).toMatch(message);
    });
  }
});
