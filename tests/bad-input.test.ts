import type { IngestResponse } from '@rapport/schemas';
import { makeEvent } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BAD_EVENTS, bodyOf } from './support/bad-events.js';
import { countStored, startTestEngine, type TestEngine } from './support/test-engine.js';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine({ RAPPORT_CURRENCY_RATES: 'EUR=1.1' });
});
afterAll(() => engine.dispose());

async function post(body: unknown): Promise<{ status: number; body: IngestResponse }> {
  const response = await engine.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/json' },
    payload: bodyOf(body),
  });
  return { status: response.statusCode, body: response.json<IngestResponse>() };
}

describe('one client sending bad numbers among many sending valid events', () => {
  it('stores and acknowledges every valid event once, rejects every bad one with its path, and never answers 5xx', async () => {
    const clients = 12;
    const batches = 4;
    const perBatch = 25;
    const validIds: string[] = [];
    const good = Array.from({ length: clients }, (_, client) =>
      Array.from({ length: batches }, (_, batch) =>
        Array.from({ length: perBatch }, (_, n) => {
          const eventId = `good-${client}-${batch}-${n}`;
          validIds.push(eventId);
          return n % 3 === 0
            ? makeEvent('purchase', {
                eventId,
                customerId: `c-${client}`,
                properties: { orderId: eventId, revenue: 99_999_999_999_999, currency: 'USD' },
              })
            : makeEvent('page_view', { eventId, customerId: `c-${client}` });
        }),
      ),
    );
    // Each bad event goes with a valid companion of the bad client's own, then all together.
    const badRequests = BAD_EVENTS.map(({ event }, index) => [
      event,
      makeEvent('click', { eventId: `companion-${index}`, customerId: 'hostile' }),
    ]);

    const goodAnswers = good.map(async (client) => {
      const answers = [];
      for (const events of client) answers.push(await post({ events }));
      return answers;
    });
    const badAnswers = (async () => {
      const answers = [];
      for (const events of badRequests) answers.push(await post({ events }));
      answers.push(await post({ events: BAD_EVENTS.map(({ event }) => event) }));
      return answers;
    })();
    const [goods, bads] = await Promise.all([Promise.all(goodAnswers), badAnswers]);

    for (const answer of goods.flat()) {
      expect(answer).toEqual({
        status: 200,
        body: { accepted: perBatch, duplicates: 0, rejected: [] },
      });
    }
    bads.slice(0, -1).forEach((answer, index) => {
      const { what, path } = BAD_EVENTS[index]!;
      expect(answer.status, what).toBe(200);
      expect(answer.body.accepted, what).toBe(1);
      expect(answer.body.rejected, what).toHaveLength(1);
      expect(answer.body.rejected[0]?.index, what).toBe(0);
      expect(answer.body.rejected[0]?.path, what).toMatch(path);
      expect(answer.body.rejected[0]?.message, what).not.toBe('');
    });
    const allBad = bads[bads.length - 1]!;
    expect(allBad.status).toBe(400);
    expect(allBad.body.accepted).toBe(0);
    expect(allBad.body.rejected.map((rejection) => rejection.index)).toEqual(
      BAD_EVENTS.map((_, index) => index),
    );

    expect(await countStored(engine, validIds)).toBe(validIds.length);
    const companions = BAD_EVENTS.map((_, index) => `companion-${index}`);
    expect(await countStored(engine, companions)).toBe(companions.length);
    const [hostile] = await engine.store.query<{ n: number }>(
      "SELECT count() AS n FROM events WHERE customer_id IN ('hostile', 'cust-1') OR startsWith(anonymous_id, 'anon')",
    );
    // Only the companions: nothing of the bad events reached the log, not even as a 0.
    expect(Number(hostile?.n)).toBe(companions.length);
  });

  it('takes the largest amount the store holds and reads it back exactly', async () => {
    const answer = await post(
      makeEvent('purchase', {
        eventId: 'largest-amount',
        properties: { orderId: 'o-largest', revenue: 99_999_999_999_999.98, currency: 'USD' },
      }),
    );
    expect(answer.body.accepted).toBe(1);
    const [row] = await engine.store.query<{ amount: string }>(
      "SELECT toString(amount) AS amount FROM events WHERE event_id = 'largest-amount'",
    );
    expect(row?.amount).toBe('99999999999999.98');
  });
});
