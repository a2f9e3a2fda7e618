import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lapsedMs, profileRowsSql } from './profile-sql.js';
import { scopeBoundOnce, scopeParams } from './scope-params.js';

// A profile row cut to the columns a statement reads holds each of them as the whole row does.

const T = Date.UTC(2024, 4, 1);
const DAY = 86_400_000;
let test: TestStore;
let sequence = 0;
const id = () => `e${++sequence}`;

const columnsOf = (sql: string) =>
  [...sql.matchAll(/ AS (\w+)(?=,|\s*$|\s*\n)/gm)].map((match) => match[1]);

describe('profileRowsSql readBy, as SQL', () => {
  it('holds the fields named, what they are computed from, and no join nothing reads', () => {
    const sql = profileRowsSql({ scoped: true, readBy: 'ifNull(email_open_rate >= 0.3, 0)' });
    const select = sql.slice(0, sql.indexOf('\nFROM ('));
    expect(columnsOf(select)).toEqual([
      'profile_key',
      'customer_id',
      'anonymous_id',
      'email_sent',
      'email_opened',
      'email_open_rate',
    ]);
    for (const table of ['customer_traits', 'rfm_scores', 'clv_scores', 'cluster_assignments']) {
      expect(sql).not.toContain(table);
    }
  });

  it('joins traits and each job only when a column of theirs is named', () => {
    const sql = profileRowsSql({
      scoped: true,
      readBy: "has({rule_p0:Array(String)}, rfm_segment) AND mapContains(traits, 'tier')",
    });
    expect(sql).toContain('customer_traits');
    expect(sql).toContain('rfm_scores');
    expect(sql).not.toContain('clv_scores');
    expect(sql).not.toContain('cluster_assignments');
  });

  it('takes no qualified name or placeholder for a column', () => {
    const sql = profileRowsSql({ scoped: true, readBy: 'p.orders > {orders:Float64}' });
    const select = sql.slice(0, sql.indexOf('\nFROM ('));
    expect(columnsOf(select)).toEqual(['profile_key', 'customer_id', 'anonymous_id']);
  });

  it('is the whole row when nothing is said', () => {
    const whole = profileRowsSql({ scoped: true });
    for (const table of ['customer_traits', 'rfm_scores', 'clv_scores', 'cluster_assignments']) {
      expect(whole).toContain(table);
    }
    expect(whole).toContain('AS run_id');
  });
});

describe('profileRowsSql readBy, on the engine', () => {
  beforeAll(async () => {
    test = await openTestStore();
    const rows: Record<string, unknown>[] = [];
    for (let c = 0; c < 6; c++) {
      const customerId = `cust-${c}`;
      const device = `dev-${c}`;
      rows.push(eventRow({ type: 'page_view', anonymousId: device, at: T, eventId: id() }));
      if (c === 5) continue; // a visitor
      rows.push(
        eventRow({
          type: 'identify',
          customerId,
          anonymousId: device,
          at: T + DAY,
          eventId: id(),
          properties: { traits: { tier: c % 2 ? 'gold' : 'basic' } },
        }),
      );
      for (let o = 0; o < c % 3; o++) {
        rows.push(
          eventRow({
            type: 'purchase',
            customerId,
            at: T + (2 + o) * DAY,
            eventId: id(),
            orderId: `o${sequence}`,
            amount: 20 + c,
            currency: 'USD',
            properties: { items: [{ category: c % 2 ? 'books' : 'music' }] },
          }),
        );
      }
      for (const action of c % 2 ? ['sent', 'opened'] : ['sent']) {
        rows.push(
          eventRow({
            type: 'email',
            customerId,
            at: T + 3 * DAY,
            eventId: id(),
            channel: 'email',
            properties: { campaignId: 'spring', action },
          }),
        );
      }
    }
    await insertRows(test.store, 'events', rows);
    const asOf = T + 10 * DAY;
    await insertRows(test.store, 'rfm_scores', [
      { run_id: 'rfm-1', customer_id: 'cust-1', as_of: asOf, segment: 'Champions', r: 5 },
      { run_id: 'rfm-1', customer_id: 'cust-2', as_of: asOf, segment: 'Loyal', r: 4 },
    ]);
    await insertRows(test.store, 'clv_scores', [
      { run_id: 'clv-1', customer_id: 'cust-2', as_of: asOf, clv: 125.5, p_alive: 0.8 },
    ]);
  });
  afterAll(async () => {
    await test?.dispose();
  });

  it('gives each column it holds the value of the whole row', async () => {
    const keys = ['c:cust-0', 'c:cust-1', 'c:cust-2', 'c:cust-3', 'c:cust-4', 'a:dev-5'];
    const params = {
      ...(await scopeParams(test.store, keys)),
      runId: '',
      now: T + 30 * DAY,
      lapsedMs: lapsedMs(90),
      rfmRun: 'rfm-1',
      clvRun: 'clv-1',
      clustersRun: '',
    };
    const readBy = [
      'net_revenue >= 1',
      'email_open_rate > 0',
      'category_breadth > 0',
      "has(channels, 'email')",
      "lifecycle = 'repeat'",
      'identified',
      'rfm_segment IS NOT NULL',
      'clv > 0',
      "mapContains(traits, 'tier')",
    ].join(' OR ');
    const read = async (sql: string) =>
      test.store.query<Record<string, unknown>>(
        scopeBoundOnce(
          `SELECT * FROM (${sql}) WHERE profile_key IN {scope_keys:Array(String)} ORDER BY profile_key`,
        ),
        params,
      );
    const cut = await read(profileRowsSql({ scoped: true, readBy }));
    const whole = await read(profileRowsSql({ scoped: true }));
    expect(cut.map((row) => row.profile_key)).toEqual([...keys].sort());
    const columns = Object.keys(cut[0]!);
    expect(columns).toEqual(
      expect.arrayContaining(['net_revenue', 'email_open_rate', 'rfm_segment', 'clv', 'traits']),
    );
    expect(columns).not.toContain('cluster');
    expect(columns.length).toBeLessThan(Object.keys(whole[0]!).length);
    const pick = (row: Record<string, unknown>) =>
      Object.fromEntries(columns.map((column) => [column, row[column]]));
    expect(cut).toEqual(whole.map(pick));
    // The figures are there to compare: not every row alike.
    expect(new Set(cut.map((row) => row.rfm_segment))).toEqual(
      new Set([null, 'Champions', 'Loyal']),
    );
    expect(cut.find((row) => row.profile_key === 'c:cust-2')?.clv).toBe(125.5);
  });
});
