import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readCampaignsReport } from './campaigns-report.js';

// A funnel's steps count distinct recipients, profiles merged, whatever part of the profiles'
// hashes each falls in. Hand-worked: 50 customers c0…c49 are sent 'autumn' on 2024-10-01.
// - delivered: c0…c39, and c0…c9 twice (a repeated delivery event): 40.
// - opened: c0…c19, each twice: 20; anonymous ids a0…a4 (owned by c0…c4) open too: still 20;
//   a5 (owned by c45, who never opened) opens: 21; z0 and z1 (owned by no one) open: 23.
// - clicked: c0…c4, and a0 (c0's): 5.

let test: TestStore;
const at = (iso: string) => Date.parse(iso);

beforeAll(async () => {
  test = await openTestStore();
  const email = (ids: object, action: string, minute: number) =>
    eventRow({
      type: 'email',
      ...ids,
      at: at(`2024-10-01T10:${String(minute).padStart(2, '0')}:00Z`),
      channel: 'email',
      properties: { campaignId: 'autumn', action },
    });
  const customer = (n: number) => ({ customerId: `c${n}` });
  const range = (count: number) => Array.from({ length: count }, (_, n) => n);
  await insertRows(test.store, 'events', [
    ...range(50).map((n) => email(customer(n), 'sent', 0)),
    ...range(40).map((n) => email(customer(n), 'delivered', 1)),
    ...range(10).map((n) => email(customer(n), 'delivered', 2)),
    ...range(20).flatMap((n) => [email(customer(n), 'opened', 3), email(customer(n), 'opened', 4)]),
    ...range(6).map((n) => email({ anonymousId: `a${n}` }, 'opened', 5)),
    ...range(2).map((n) => email({ anonymousId: `z${n}` }, 'opened', 5)),
    ...range(5).map((n) => email(customer(n), 'clicked', 6)),
    email({ anonymousId: 'a0' }, 'clicked', 7),
  ]);
  await insertRows(
    test.store,
    'identity_links',
    range(6).map((n) => ({
      anonymous_id: `a${n}`,
      customer_id: n === 5 ? 'c45' : `c${n}`,
      linked: 1,
      at: at('2024-09-01T00:00:00Z'),
      event_id: `link-${n}`,
    })),
  );
}, 120_000);
afterAll(() => test.dispose());

it('counts each recipient once per step, repeated events and owned anonymous ids merged', async () => {
  const answer = await readCampaignsReport(test.store, {
    from: '2024-10-01',
    to: '2024-11-01',
    attributionDays: 7,
    currency: 'USD',
  });
  expect(answer.campaigns).toHaveLength(1);
  expect(answer.campaigns[0]).toMatchObject({
    campaignId: 'autumn',
    sent: 50,
    delivered: 40,
    opened: 23,
    clicked: 5,
    bounced: 0,
  });
});
