import { makeEvent, makeEvents } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countStored, startTestEngine, type TestEngine } from './support/test-engine.js';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine();
});
afterAll(() => engine.dispose());

async function send(events: unknown[]) {
  const response = await engine.app.inject({
    method: 'POST',
    url: '/v1/events',
    payload: { events },
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ accepted: number; duplicates: number }>();
}

describe('nothing is counted twice', () => {
  it('stores an event sent again with the same eventId once and reports the duplicate', async () => {
    const event = makeEvent('purchase', { eventId: 'retry-1' });
    expect(await send([event])).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await send([event])).toMatchObject({ accepted: 0, duplicates: 1 });
    // A retry with changed content but the same id is still the same event.
    expect(
      await send([{ ...event, properties: { orderId: 'o-2', revenue: 1, currency: 'USD' } }]),
    ).toMatchObject({
      duplicates: 1,
    });
    expect(await countStored(engine, ['retry-1'])).toBe(1);
  });

  it('deduplicates events without an eventId by their content', async () => {
    const event = makeEvent('page_view', {
      customerId: 'no-id-customer',
      sentAt: '2024-05-01T12:00:02Z',
    });
    expect(await send([event])).toMatchObject({ accepted: 1 });
    const retried = { ...event, sentAt: '2024-05-01T12:05:00Z' };
    expect(await send([retried])).toMatchObject({ accepted: 0, duplicates: 1 });
    const different = makeEvent('page_view', {
      customerId: 'no-id-customer',
      timestamp: '2024-05-01T12:00:01Z',
    });
    expect(await send([different])).toMatchObject({ accepted: 1 });
    const [row] = await engine.store.query<{ n: number }>(
      "SELECT count() AS n FROM events WHERE customer_id = 'no-id-customer'",
    );
    expect(Number(row?.n)).toBe(2);
  });

  it('counts a repeated eventId inside one batch once', async () => {
    const event = makeEvent('click', { eventId: 'in-batch' });
    expect(await send([event, event, event])).toMatchObject({ accepted: 1, duplicates: 2 });
    expect(await countStored(engine, ['in-batch'])).toBe(1);
  });

  it('stores each event once when retries of the same batch arrive concurrently', async () => {
    const events = makeEvents(200, { prefix: 'concurrent' });
    const answers = await Promise.all(Array.from({ length: 12 }, () => send(events)));
    const accepted = answers.reduce((sum, answer) => sum + answer.accepted, 0);
    const duplicates = answers.reduce((sum, answer) => sum + answer.duplicates, 0);
    expect(accepted).toBe(200);
    expect(duplicates).toBe(200 * 11);
    expect(
      await countStored(
        engine,
        events.map((event) => String(event.eventId)),
      ),
    ).toBe(200);
  });

  it('stores each event once when overlapping batches race', async () => {
    const events = makeEvents(300, { prefix: 'overlap' });
    const slices = [events.slice(0, 200), events.slice(100, 300), events.slice(50, 250)];
    const answers = await Promise.all(slices.map((slice) => send(slice)));
    expect(answers.reduce((sum, answer) => sum + answer.accepted, 0)).toBe(300);
    expect(
      await countStored(
        engine,
        events.map((event) => String(event.eventId)),
      ),
    ).toBe(300);
  });
});
