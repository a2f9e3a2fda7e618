import { lapsedMs, writeProfileSnapshot } from '@rapport/profiles';
import { insertRows } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreviewAnswer } from './preview.js';
import {
  eventRow,
  openSegmentsTestApp,
  recordSucceededRun,
  type SegmentsTestApp,
} from './segments-test-app.js';

const READER = 'reader-key-00000001';
const ADMIN = 'admin-key-000000001';
const DAY = 86_400_000;

let t: SegmentsTestApp;

beforeAll(async () => {
  t = await openSegmentsTestApp({ apiKeys: `${READER}:read,${ADMIN}:admin` });
});
afterAll(() => t.dispose());

const as = (key: string) => ({ authorization: `Bearer ${key}` });
const ordersAtLeast = (n: number) => ({ type: 'field', field: 'orders', op: 'gte', value: n });
const inSegment = (segmentId: string) => ({ type: 'segment', segmentId });

function send(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) {
  return t.app.inject({
    method,
    url,
    headers: as(method === 'GET' || url.endsWith('/preview') ? READER : ADMIN),
    ...(payload === undefined ? {} : { payload }),
  });
}

const create = (body: object) => send('POST', '/v1/segments', body);

describe('segment definitions', () => {
  it('creates, versions, lists and deletes a segment', async () => {
    const created = await create({ id: 'repeat-buyers', name: 'Repeat', rule: ordersAtLeast(2) });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'repeat-buyers',
      version: 1,
      name: 'Repeat',
      description: '',
      rule: ordersAtLeast(2),
      lastEvaluation: null,
    });
    expect(created.json().createdAt).toBe(created.json().updatedAt);

    const updated = await send('PUT', '/v1/segments/repeat-buyers', {
      name: 'Repeat buyers',
      description: 'three orders or more',
      rule: ordersAtLeast(3),
      expectedVersion: 1,
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({
      version: 2,
      name: 'Repeat buyers',
      rule: ordersAtLeast(3),
    });
    expect(updated.json().createdAt).toBe(created.json().createdAt);

    const current = await send('GET', '/v1/segments/repeat-buyers');
    expect(current.json()).toMatchObject({ version: 2, description: 'three orders or more' });
    const first = await send('GET', '/v1/segments/repeat-buyers?version=1');
    expect(first.json()).toMatchObject({ version: 1, name: 'Repeat', rule: ordersAtLeast(2) });
    expect((await send('GET', '/v1/segments/repeat-buyers?version=7')).statusCode).toBe(404);

    const stale = await send('PUT', '/v1/segments/repeat-buyers', {
      name: 'x',
      rule: ordersAtLeast(1),
      expectedVersion: 1,
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().message).toMatch(/is at version 2, not 1/);

    const listed = (await send('GET', '/v1/segments')).json().segments as { id: string }[];
    expect(listed.map((segment) => segment.id)).toContain('repeat-buyers');

    expect((await send('DELETE', '/v1/segments/repeat-buyers')).statusCode).toBe(204);
    expect((await send('GET', '/v1/segments/repeat-buyers')).statusCode).toBe(404);
    expect((await send('GET', '/v1/segments/repeat-buyers?version=1')).statusCode).toBe(404);
    expect((await send('DELETE', '/v1/segments/repeat-buyers')).statusCode).toBe(404);
    const put = await send('PUT', '/v1/segments/repeat-buyers', {
      name: 'x',
      rule: ordersAtLeast(1),
    });
    expect(put.statusCode).toBe(404);
    const relisted = (await send('GET', '/v1/segments')).json().segments as { id: string }[];
    expect(relisted.map((segment) => segment.id)).not.toContain('repeat-buyers');

    // The deleted id stays taken: its memberships and published changes carry it.
    const reused = await create({ id: 'repeat-buyers', name: 'Again', rule: ordersAtLeast(1) });
    expect(reused.statusCode).toBe(409);
    expect(reused.json().message).toMatch(/deleted .* ids are not reused/);
    const [versions] = await t.store.query<{ n: number; deleted: number }>(
      `SELECT count() AS n, max(deleted) AS deleted FROM segment_definitions
       WHERE segment_id = 'repeat-buyers'`,
    );
    expect({ n: Number(versions?.n), deleted: Number(versions?.deleted) }).toEqual({
      n: 3,
      deleted: 1,
    });
  });

  it('generates ids, refuses taken and reserved ones, and 404s unknown ids', async () => {
    const generated = await create({ name: 'Anyone', rule: ordersAtLeast(0) });
    expect(generated.statusCode).toBe(201);
    expect(generated.json().id).toMatch(/^seg_[0-9a-f]{12}$/);
    const taken = await create({ id: generated.json().id, name: 'Twin', rule: ordersAtLeast(0) });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().message).toMatch(/exists; change it with PUT/);
    expect((await create({ id: 'fields', name: 'x', rule: ordersAtLeast(0) })).statusCode).toBe(
      400,
    );
    expect((await create({ id: 'Bad Id', name: 'x', rule: ordersAtLeast(0) })).statusCode).toBe(
      400,
    );
    expect((await send('GET', '/v1/segments/nobody')).statusCode).toBe(404);
  });

  it('gives every concurrent change its own version', async () => {
    await create({ id: 'busy', name: 'Busy', rule: ordersAtLeast(1) });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        send('PUT', '/v1/segments/busy', { name: `Busy ${index}`, rule: ordersAtLeast(index) }),
      ),
    );
    const versions = answers.map((answer) => answer.json().version as number).sort((a, b) => a - b);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    const [row] = await t.store.query<{ n: number; versions: number }>(
      "SELECT count() AS n, uniqExact(version) AS versions FROM segment_definitions WHERE segment_id = 'busy'",
    );
    expect(Number(row?.n)).toBe(9);
    expect(Number(row?.versions)).toBe(9);
  });

  it('needs the admin scope to write and the read scope to read', async () => {
    const body = { id: 'scoped', name: 'Scoped', rule: ordersAtLeast(1) };
    const anonymous = await t.app.inject({ method: 'POST', url: '/v1/segments', payload: body });
    expect(anonymous.statusCode).toBe(401);
    const reader = await t.app.inject({
      method: 'POST',
      url: '/v1/segments',
      headers: as(READER),
      payload: body,
    });
    expect(reader.statusCode).toBe(403);
    expect(reader.json().message).toMatch(/"admin" scope/);
    expect((await create(body)).statusCode).toBe(201);
    for (const method of ['PUT', 'DELETE'] as const) {
      const refused = await t.app.inject({
        method,
        url: '/v1/segments/scoped',
        headers: as(READER),
        payload: { name: 'x', rule: ordersAtLeast(1) },
      });
      expect(refused.statusCode).toBe(403);
    }
    for (const url of ['/v1/segments', '/v1/segments/scoped', '/v1/segments/fields']) {
      expect((await t.app.inject({ url })).statusCode).toBe(401);
      expect((await t.app.inject({ url, headers: as(READER) })).statusCode).toBe(200);
    }
  });

  it('shows the latest evaluation of each segment', async () => {
    await create({ id: 'evaluated', name: 'Evaluated', rule: ordersAtLeast(1) });
    const at = Date.UTC(2024, 5, 1, 12);
    await insertRows(t.store, 'segment_evaluations', [
      {
        segment_id: 'evaluated',
        run_id: 'old',
        version: 1,
        evaluated_at: at - DAY,
        members: 5,
        entered: 5,
        exited: 0,
        seconds: 0.1,
      },
      {
        segment_id: 'evaluated',
        run_id: 'new',
        version: 1,
        evaluated_at: at,
        members: 7,
        entered: 3,
        exited: 1,
        seconds: 0.1,
      },
    ]);
    const expected = {
      runId: 'new',
      version: 1,
      members: 7,
      entered: 3,
      exited: 1,
      computedAt: new Date(at).toISOString(),
    };
    expect((await send('GET', '/v1/segments/evaluated')).json().lastEvaluation).toEqual(expected);
    const listed = (await send('GET', '/v1/segments')).json().segments as {
      id: string;
      lastEvaluation: unknown;
    }[];
    expect(listed.find((segment) => segment.id === 'evaluated')?.lastEvaluation).toEqual(expected);
  });

  it('lists the field catalogue', async () => {
    const answer = await send('GET', '/v1/segments/fields');
    expect(answer.statusCode).toBe(200);
    const fields = answer.json().fields as {
      name: string;
      operators: string[];
      values?: string[];
    }[];
    expect(fields.find((field) => field.name === 'orders')?.operators).toContain('gte');
    expect(fields.find((field) => field.name === 'lifecycle')?.values).toContain('lapsed');
  });
});

describe('rule checks', () => {
  const refused = async (rule: unknown) => {
    const answer = await create({ name: 'Bad', rule });
    expect(answer.statusCode).toBe(400);
    return answer.json<{ message: string; issues: { path: string; message: string }[] }>();
  };

  it('points at the node at fault, for every kind of problem', async () => {
    const unknownField = await refused({
      type: 'and',
      rules: [ordersAtLeast(1), { type: 'field', field: 'ordrs', op: 'gte', value: 2 }],
    });
    expect(unknownField.issues).toEqual([
      { path: '/rule/rules/1/field', message: expect.stringMatching(/did you mean "orders"/) },
    ]);
    expect(unknownField.message).toMatch(
      /^invalid rule: rule\/rules\/1\/field: unknown field "ordrs"/,
    );

    const wrongOperator = await refused({
      type: 'or',
      rules: [{ type: 'field', field: 'orders', op: 'contains', value: 'x' }],
    });
    expect(wrongOperator.issues[0]?.path).toBe('/rule/rules/0/op');

    const wrongValue = await refused({ type: 'field', field: 'orders', op: 'gte', value: 'ten' });
    expect(wrongValue.issues[0]?.path).toBe('/rule/value');

    const unknownNode = await refused({ type: 'not', rule: { type: 'bogus' } });
    expect(unknownNode.issues[0]?.path).toBe('/rule/rule/type');

    const several = await refused({
      type: 'and',
      rules: [
        { type: 'event', event: 'purchase', count: { atLeast: -1 }, extra: 1 },
        { type: 'field', field: 'nope', op: 'eq', value: 1 },
        { type: 'field', field: 'nope2', op: 'eq', value: 1 },
        { type: 'field', field: 'nope3', op: 'eq', value: 1 },
      ],
    });
    expect(several.issues.map((issue) => issue.path)).toEqual([
      '/rule/rules/0/count/atLeast',
      '/rule/rules/0/extra',
      '/rule/rules/1/field',
      '/rule/rules/2/field',
      '/rule/rules/3/field',
    ]);
    expect(several.message).toMatch(/\(and 2 more\)$/);

    const notAnObject = await refused('orders > 2');
    expect(notAnObject.issues[0]?.path).toBe('/rule');
  });

  it('refuses at save what would fail the run: a number the store cannot bind, a query past max_query_size', async () => {
    const huge = await refused({
      type: 'and',
      rules: [ordersAtLeast(1), { type: 'field', field: 'revenue', op: 'gt', value: 1e20 }],
    });
    expect(huge.issues).toEqual([
      { path: '/rule/rules/1/value', message: expect.stringMatching(/out of range/) },
    ]);

    // Within the node limits (193 nodes), but some 350 kB of SQL: the preview answered 500
    // and the run failed with a syntax error.
    const wide = {
      type: 'or',
      rules: Array.from({ length: 4 }, () => ({
        type: 'or',
        rules: Array.from({ length: 48 }, () => ({
          type: 'event',
          event: 'purchase',
          where: Array.from({ length: 6 }, () => ({
            field: 'properties.items.price',
            op: 'between',
            value: [1, 2],
          })),
        })),
      })),
    };
    const tooLarge = await refused(wide);
    expect(tooLarge.issues).toEqual([
      {
        path: '/rule',
        message: expect.stringMatching(/query of [\d,]+ bytes; the store parses at most 262,144/),
      },
    ]);
    expect(tooLarge.message).toMatch(/^the rule is too large for the store/);
    const preview = await send('POST', '/v1/segments/preview', { rule: wide });
    expect(preview.statusCode).toBe(400);
    await create({ id: 'grows', name: 'Grows', rule: ordersAtLeast(1) });
    const grown = await send('PUT', '/v1/segments/grows', { name: 'Grows', rule: wide });
    expect(grown.statusCode).toBe(400);
    expect((await send('GET', '/v1/segments/grows')).json().version).toBe(1);
  });

  it('refuses references to unknown or deleted segments', async () => {
    await create({ id: 'gone', name: 'Gone', rule: ordersAtLeast(1) });
    await send('DELETE', '/v1/segments/gone');
    const answer = await refused({
      type: 'and',
      rules: [ordersAtLeast(1), inSegment('ghost'), { type: 'not', rule: inSegment('gone') }],
    });
    expect(answer.issues).toEqual([
      { path: '/rule/rules/1', message: 'no segment "ghost"' },
      { path: '/rule/rules/2/rule', message: 'segment "gone" was deleted' },
    ]);
  });

  it('refuses a change that would make a cycle, naming it', async () => {
    await create({ id: 'cyc-a', name: 'A', rule: ordersAtLeast(1) });
    await create({ id: 'cyc-b', name: 'B', rule: inSegment('cyc-a') });
    await create({ id: 'cyc-c', name: 'C', rule: { type: 'not', rule: inSegment('cyc-b') } });
    const answer = await send('PUT', '/v1/segments/cyc-a', {
      name: 'A',
      rule: { type: 'or', rules: [ordersAtLeast(5), inSegment('cyc-c')] },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().issues).toEqual([
      {
        path: '/rule/rules/1',
        message: 'this would make a cycle: cyc-a → cyc-c → cyc-b → cyc-a',
      },
    ]);
    const self = await create({ id: 'selfish', name: 'Self', rule: inSegment('selfish') });
    expect(self.statusCode).toBe(400);
    expect(self.json().message).toMatch(/selfish → selfish/);
    // Unchanged: the refused version was not saved.
    expect((await send('GET', '/v1/segments/cyc-a')).json().version).toBe(1);
  });

  it('refuses to delete a segment others refer to, naming them', async () => {
    await create({ id: 'base', name: 'Base', rule: ordersAtLeast(1) });
    await create({ id: 'uses-base', name: 'Uses', rule: inSegment('base') });
    await create({
      id: 'also-uses-base',
      name: 'Also',
      rule: { type: 'not', rule: inSegment('base') },
    });
    const answer = await send('DELETE', '/v1/segments/base');
    expect(answer.statusCode).toBe(409);
    expect(answer.json().message).toMatch(/used by "also-uses-base", "uses-base"/);
    await send('DELETE', '/v1/segments/uses-base');
    await send('DELETE', '/v1/segments/also-uses-base');
    expect((await send('DELETE', '/v1/segments/base')).statusCode).toBe(204);
  });
});

describe('preview', () => {
  const now = Date.now();
  // "Bought twice in 90 days and opened an email".
  const rule = {
    type: 'and',
    rules: [
      { type: 'event', event: 'purchase', count: { atLeast: 2 }, within: { lastDays: 90 } },
      { type: 'field', field: 'email.opened', op: 'gte', value: 1 },
    ],
  };
  const preview = (body: object) => send('POST', '/v1/segments/preview', body);

  beforeAll(async () => {
    const email = (id: string, customerId: string, action: string, at: number) =>
      eventRow({
        id,
        type: 'email',
        customerId,
        at,
        channel: 'email',
        properties: { action, campaignId: 'c1' },
      });
    await insertRows(t.store, 'events', [
      eventRow({
        id: 'ada-1',
        type: 'purchase',
        customerId: 'ada',
        at: now - 10 * DAY,
        amount: 20,
      }),
      eventRow({ id: 'ada-2', type: 'purchase', customerId: 'ada', at: now - 5 * DAY, amount: 30 }),
      email('ada-e1', 'ada', 'sent', now - 4 * DAY),
      email('ada-e2', 'ada', 'opened', now - 4 * DAY),
      eventRow({
        id: 'bob-1',
        type: 'purchase',
        customerId: 'bob',
        at: now - 200 * DAY,
        amount: 5,
      }),
      eventRow({ id: 'bob-2', type: 'purchase', customerId: 'bob', at: now - 3 * DAY, amount: 5 }),
      email('bob-e1', 'bob', 'opened', now - 2 * DAY),
      eventRow({ id: 'cy-1', type: 'purchase', customerId: 'cy', at: now - 2 * DAY, amount: 50 }),
      eventRow({ id: 'cy-2', type: 'purchase', customerId: 'cy', at: now - DAY, amount: 50 }),
      eventRow({ id: 'x-1', type: 'page_view', anonymousId: 'x', at: now - DAY }),
    ]);
  });

  it('computes the fields live before the first segments run', async () => {
    const answer = await preview({ rule, sample: 5 });
    expect(answer.statusCode).toBe(200);
    const body = answer.json<PreviewAnswer>();
    expect(body).toMatchObject({
      count: 1,
      sample: [{ customerId: 'ada', anonymousId: null }],
      source: 'live',
    });
    expect(Date.parse(body.computedAt)).toBeGreaterThanOrEqual(now);

    const everyone = await preview({
      rule: { type: 'field', field: 'events', op: 'gte', value: 1 },
      sample: 3,
    });
    expect(everyone.json()).toMatchObject({
      count: 4,
      // By profile key: `a:x` sorts before `c:…`.
      sample: [
        { customerId: null, anonymousId: 'x' },
        { customerId: 'ada', anonymousId: null },
        { customerId: 'bob', anonymousId: null },
      ],
    });
    const countOnly = await preview({
      rule: { type: 'field', field: 'identified', op: 'eq', value: false },
      sample: 0,
    });
    expect(countOnly.json()).toMatchObject({ count: 1, sample: [] });
  });

  it('reads the latest segments run once its fields are stored', async () => {
    const computedAt = now - 60_000;
    await writeProfileSnapshot(t.store, {
      runId: 'seg-run-1',
      now: computedAt,
      lapsedMs: lapsedMs(90),
      rfmRun: '',
      clvRun: '',
      clustersRun: '',
    });
    await recordSucceededRun(t.store, {
      job: 'segments',
      runId: 'seg-run-1',
      finishedAt: now - 30_000,
    });
    t.latest.invalidate();
    // Bob's third order comes after the snapshot: a live answer would count him.
    await insertRows(t.store, 'events', [
      eventRow({ id: 'bob-3', type: 'purchase', customerId: 'bob', at: now - 1000, amount: 5 }),
    ]);
    const threeOrders = { type: 'field', field: 'orders', op: 'gte', value: 3 };
    const answer = await preview({ rule: threeOrders });
    expect(answer.json()).toEqual({
      count: 0,
      sample: [],
      computedAt: new Date(computedAt).toISOString(),
      source: 'snapshot',
    });
    const twoOrders = await preview({ rule: { ...threeOrders, value: 2 } });
    expect(twoOrders.json()).toMatchObject({ count: 3, source: 'snapshot' });

    // Once the run's fields are dropped, previews compute them again.
    await t.store.command("ALTER TABLE profile_features DROP PARTITION 'seg-run-1'");
    const live = await preview({ rule: threeOrders });
    expect(live.json()).toMatchObject({
      count: 1,
      sample: [{ customerId: 'bob' }],
      source: 'live',
    });
  });

  it('refuses malformed rules and unknown segments', async () => {
    const malformed = await preview({ rule: { type: 'field', field: 'orders', op: 'gte' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().issues[0].path).toMatch(/^\/rule/);
    const unknown = await preview({ rule: inSegment('ghost-2') });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().issues).toEqual([{ path: '/rule', message: 'no segment "ghost-2"' }]);
  });
});
