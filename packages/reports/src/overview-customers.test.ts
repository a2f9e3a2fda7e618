import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOverviewReport } from './overview-report.js';

// New and returning customers, hand-worked over March 2024:
// - c1 first ordered on 2024-02-10, then twice on 03-05 (web): returning on 03-05.
// - c2 first ordered on 03-05 (web): new that day; again on 03-07 in the store: returning then.
// - c3 orders only on 04-02, after the period: not counted.
// - c4 first orders on 03-31 at 23:59 (web): new that day.
// Over the period: new c2 and c4 (first order in it), returning c1 (ordered before it).

let test: TestStore;
const MARCH = { from: '2024-03-01', to: '2024-04-01', currency: 'USD' };

beforeAll(async () => {
  test = await openTestStore();
  const order = (customerId: string, iso: string, channel = 'web') =>
    eventRow({
      type: 'purchase',
      customerId,
      at: Date.parse(iso),
      channel,
      amount: 10,
      orderId: `${customerId}-${iso}`,
    });
  await insertRows(test.store, 'events', [
    order('c1', '2024-02-10T12:00:00Z'),
    order('c1', '2024-03-05T09:00:00Z'),
    order('c1', '2024-03-05T18:00:00Z'),
    order('c2', '2024-03-05T10:00:00Z'),
    order('c2', '2024-03-07T10:00:00Z', 'store'),
    order('c3', '2024-04-02T10:00:00Z'),
    order('c4', '2024-03-31T23:59:00Z'),
  ]);
}, 120_000);
afterAll(() => test.dispose());

const ordering = (answer: Awaited<ReturnType<typeof readOverviewReport>>) =>
  answer.customers.filter((row) => row.new + row.returning > 0);

describe('new and returning customers', () => {
  it('counts each customer once a day and once over the period', async () => {
    const answer = await readOverviewReport(test.store, MARCH);
    expect(ordering(answer)).toEqual([
      { day: '2024-03-05', new: 1, returning: 1 },
      { day: '2024-03-07', new: 0, returning: 1 },
      { day: '2024-03-31', new: 1, returning: 0 },
    ]);
    expect(answer.totals).toMatchObject({ newCustomers: 2, returningCustomers: 1, orders: 5 });
  });

  it('counts the orders on one channel, by the first order on any', async () => {
    const answer = await readOverviewReport(test.store, { ...MARCH, channel: 'store' });
    expect(ordering(answer)).toEqual([{ day: '2024-03-07', new: 0, returning: 1 }]);
    expect(answer.totals).toMatchObject({ newCustomers: 1, returningCustomers: 0, orders: 1 });
  });

  it('counts the same over a period not on whole days', async () => {
    const answer = await readOverviewReport(test.store, {
      ...MARCH,
      from: '2024-03-05T12:00:00Z',
      to: '2024-03-31T23:59:00Z',
    });
    // c1's order at 18:00 on 03-05 is in it; c4's at 23:59 on 03-31 is not.
    expect(ordering(answer)).toEqual([
      { day: '2024-03-05', new: 0, returning: 1 },
      { day: '2024-03-07', new: 0, returning: 1 },
    ]);
    expect(answer.totals).toMatchObject({ newCustomers: 0, returningCustomers: 2 });
  });
});
