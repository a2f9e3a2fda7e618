import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCampaignsReport } from './campaigns-report.js';
import { readChannelsReport } from './channels-report.js';
import { readCohortsReport } from './cohorts-report.js';
import { readLifecycleReport } from './lifecycle-report.js';
import { readOverviewReport } from './overview-report.js';

// Reports merge an anonymous id's activity into the customer who owns it, and read customer
// keys without that merge: a hand-worked case where an owned anonymous id and its owner act on
// the same days, send and click the same campaign and order, beside a visitor no one owns.
//
// Profiles: c:ada (owns anon-ada) and a:anon-solo (owned by no one).
// - 2024-03-04: ada and anon-ada view the web shop; both are sent spring-sale, anon-ada
//   clicks it at 12:00; anon-solo is sent it too.
// - 2024-03-05 10:00: anon-ada orders 30 (ada's first order: last click 22 h before).
// - 2024-03-07: anon-solo orders 5 (its first order, not attributed: it never clicked).
// - 2024-03-10 09:00: ada orders 20 (6 days after the click: attributed).

let test: TestStore;
const at = (iso: string) => Date.parse(iso);
const MARCH = { from: '2024-03-01', to: '2024-04-01' };

beforeAll(async () => {
  test = await openTestStore();
  const ada = { customerId: 'ada' };
  const anonAda = { anonymousId: 'anon-ada' };
  const solo = { anonymousId: 'anon-solo' };
  const view = (ids: object, iso: string) =>
    eventRow({ type: 'page_view', ...ids, at: at(iso), channel: 'web' });
  const email = (ids: object, iso: string, action: string) =>
    eventRow({
      type: 'email',
      ...ids,
      at: at(iso),
      channel: 'email',
      properties: { campaignId: 'spring-sale', action },
    });
  const order = (ids: object, iso: string, amount: number) =>
    eventRow({ type: 'purchase', ...ids, at: at(iso), channel: 'web', amount, orderId: iso });
  await insertRows(test.store, 'events', [
    view(ada, '2024-03-04T08:00:00Z'),
    view(anonAda, '2024-03-04T09:00:00Z'),
    email(ada, '2024-03-04T10:00:00Z', 'sent'),
    email(anonAda, '2024-03-04T10:00:00Z', 'sent'),
    email(solo, '2024-03-04T10:00:00Z', 'sent'),
    email(anonAda, '2024-03-04T12:00:00Z', 'clicked'),
    order(anonAda, '2024-03-05T10:00:00Z', 30),
    order(solo, '2024-03-07T10:00:00Z', 5),
    order(ada, '2024-03-10T09:00:00Z', 20),
  ]);
  await insertRows(test.store, 'identity_links', [
    {
      anonymous_id: 'anon-ada',
      customer_id: 'ada',
      linked: 1,
      at: at('2024-03-01T00:00:00Z'),
      event_id: 'link-1',
    },
  ]);
}, 120_000);
afterAll(() => test.dispose());

describe('an anonymous id owned by a customer', () => {
  it('counts as its owner in the overview', async () => {
    const answer = await readOverviewReport(test.store, { ...MARCH, currency: 'USD' });
    expect(answer.totals.activeProfiles).toBe(2);
    const day = (period: string) =>
      answer.activeProfiles.daily.find((row) => row.period === period)?.profiles;
    expect(day('2024-03-04')).toBe(2);
    expect(day('2024-03-05')).toBe(1);
    expect(answer.activeProfiles.weekly).toEqual([{ period: '2024-03-04', profiles: 2 }]);
    expect(answer.activeProfiles.monthly).toEqual([{ period: '2024-03-01', profiles: 2 }]);
    expect(answer.totals.newCustomers).toBe(2);
    expect(answer.totals.returningCustomers).toBe(0);
    const customers = (day: string) => answer.customers.find((row) => row.day === day);
    expect(customers('2024-03-05')).toEqual({ day: '2024-03-05', new: 1, returning: 0 });
    expect(customers('2024-03-10')).toEqual({ day: '2024-03-10', new: 0, returning: 1 });
  });

  it('counts the same profiles over two years, where days are kept as a list', async () => {
    const answer = await readOverviewReport(test.store, {
      from: '2023-01-01',
      to: '2025-01-01',
      currency: 'USD',
    });
    expect(answer.totals.activeProfiles).toBe(2);
    expect(answer.activeProfiles.daily.filter((row) => row.profiles > 0)).toEqual([
      { period: '2024-03-04', profiles: 2 },
      { period: '2024-03-05', profiles: 1 },
      { period: '2024-03-07', profiles: 1 },
      { period: '2024-03-10', profiles: 1 },
    ]);
    expect(answer.activeProfiles.weekly).toEqual([{ period: '2024-03-04', profiles: 2 }]);
    expect(answer.activeProfiles.monthly).toEqual([{ period: '2024-03-01', profiles: 2 }]);
  });

  it('makes one visit with its owner on the same day and channel', async () => {
    const answer = await readChannelsReport(test.store, { ...MARCH, currency: 'USD' });
    const web = answer.channels.find((row) => row.channel === 'web');
    // ada on 03-04 (two keys), 03-05 and 03-10; anon-solo on 03-07.
    expect(web).toMatchObject({ visits: 4, profiles: 2, identified: 1, orders: 3, revenue: 55 });
  });

  it('makes the same visits over two years, where the whole owner table is read', async () => {
    const answer = await readChannelsReport(test.store, {
      from: '2023-01-01',
      to: '2025-01-01',
      currency: 'USD',
    });
    const web = answer.channels.find((row) => row.channel === 'web');
    expect(web).toMatchObject({ visits: 4, profiles: 2, identified: 1, orders: 3, revenue: 55 });
  });

  it('merges into its owner in the lifecycle, and the visitor no one owns stays apart', async () => {
    const answer = await readLifecycleReport(test.store, { ...MARCH, lapsedAfterDays: 90 });
    // ada: identified on 03-04, two orders (one through anon-ada): repeat at the end.
    // anon-solo: a visitor; both first seen in March.
    expect(answer.flows).toEqual([
      { from: 'new', to: 'visitor', profiles: 1 },
      { from: 'new', to: 'repeat', profiles: 1 },
    ]);
    const end = Object.fromEntries(answer.stages.map((row) => [row.stage, row.end]));
    expect(end).toMatchObject({ visitor: 1, lead: 0, customer: 0, repeat: 1, lapsed: 0 });
    // anon-solo's first event was the email sent on 03-04.
    expect(answer.prospects).toEqual({
      visitors: 1,
      leads: 0,
      sources: [{ channel: 'email', source: '', medium: '', visitors: 1, leads: 0 }],
    });
  });

  it('is one recipient with its owner, and its click earns the owner orders', async () => {
    const answer = await readCampaignsReport(test.store, {
      ...MARCH,
      attributionDays: 7,
      currency: 'USD',
    });
    expect(answer.campaigns).toHaveLength(1);
    expect(answer.campaigns[0]).toMatchObject({
      campaignId: 'spring-sale',
      sent: 2,
      clicked: 1,
      ordered: 1,
      orders: 2,
      revenue: 50,
    });
  });

  it('puts its owner in the cohort of its first order', async () => {
    const answer = await readCohortsReport(test.store, {
      ...MARCH,
      granularity: 'month',
      currency: 'USD',
    });
    expect(answer.cohorts).toHaveLength(1);
    expect(answer.cohorts[0]).toMatchObject({ cohort: '2024-03-01', size: 2 });
  });
});
