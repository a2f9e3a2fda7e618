import { BusUnavailableError, InProcessBus, type BusMessage, type Outcome } from '@rapport/bus';
import { Metrics } from '@rapport/observability';
import { MAX_NESTING_DEPTH, storedEventSchema } from '@rapport/schemas';
import { makeEvent } from '@rapport/testkit';
import { describe, expect, it } from 'vitest';
import { createIngestEvents } from './ingest-events.js';

const limits = {
  maxEventsPerRequest: 3,
  maxBodyBytes: 1024 * 1024,
  maxEventBytes: 2048,
  reportingCurrency: 'USD',
  currencyRates: { USD: 1 },
};

async function ingestWith(handler: (messages: BusMessage[]) => Promise<Outcome[]>) {
  const bus = new InProcessBus();
  // The in-process bus hands over the messages ingest published, already validated.
  await bus.subscribe((batch) => handler(batch.messages.map((m) => m.published!)));
  return createIngestEvents({ bus, limits, metrics: new Metrics({ processMetrics: false }) });
}

describe('ingestEvents', () => {
  it('publishes only valid events, keyed by customer, and counts outcomes', async () => {
    const published: BusMessage[] = [];
    const ingest = await ingestWith(async (messages) => {
      published.push(...messages);
      return messages.map((_, index) => (index === 0 ? 'stored' : 'duplicate'));
    });
    const outcome = await ingest({
      events: [
        makeEvent('click', { eventId: 'a' }),
        makeEvent('click', { eventId: 'bad', properties: {} }),
        makeEvent('search', { eventId: 'b', customerId: undefined, anonymousId: 'anon' }),
      ],
    });
    expect(outcome).toMatchObject({
      statusCode: 200,
      body: { accepted: 1, duplicates: 1, rejected: [{ index: 1, eventId: 'bad' }] },
    });
    expect(published.map((m) => [m.eventId, m.key])).toEqual([
      ['a', 'c:cust-1'],
      ['b', 'a:anon'],
    ]);
    expect(JSON.parse(published[0]!.value)).toMatchObject({ event_id: 'a', type: 'click' });
  });

  it('answers 503 with Retry-After when the bus cannot take events now', async () => {
    const ingest = await ingestWith(() => Promise.reject(new BusUnavailableError('store down', 2)));
    await expect(ingest(makeEvent('click'))).rejects.toMatchObject({
      statusCode: 503,
      retryAfterSeconds: 2,
    });
  });

  it('refuses more events than the limit before looking at any', async () => {
    const ingest = await ingestWith(() => Promise.reject(new Error('must not publish')));
    const events = Array.from({ length: 4 }, () => makeEvent('click'));
    await expect(ingest({ events })).rejects.toMatchObject({ statusCode: 413 });
  });

  it('reports an event the store refused on its own as rejected, not accepted', async () => {
    const ingest = await ingestWith((messages) =>
      Promise.resolve(
        messages.map((m): Outcome =>
          m.eventId === 'b'
            ? { invalid: 'the store refused the event: Code: 69. too big' }
            : 'stored',
        ),
      ),
    );
    const outcome = await ingest({
      events: [makeEvent('click', { eventId: 'a' }), makeEvent('click', { eventId: 'b' })],
    });
    expect(outcome).toEqual({
      statusCode: 200,
      body: {
        accepted: 1,
        duplicates: 0,
        rejected: [
          {
            index: 1,
            eventId: 'b',
            path: '',
            message: 'the store refused the event: Code: 69. too big',
            errors: [{ path: '', message: 'the store refused the event: Code: 69. too big' }],
          },
        ],
      },
    });
    const alone = await ingest(makeEvent('click', { eventId: 'b' }));
    expect(alone).toMatchObject({
      statusCode: 400,
      body: { accepted: 0, rejected: [{ index: 0 }] },
    });
  });

  it('rejects an event nested 10,000 deep on its own, keeping the others', async () => {
    const ingest = await ingestWith((messages) => Promise.resolve(messages.map(() => 'stored')));
    const deep: unknown = JSON.parse(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`);
    const outcome = await ingest({
      events: [
        makeEvent('click', { eventId: 'a' }),
        makeEvent('track', { eventId: 'deep', properties: { name: 'n', deep } }),
        makeEvent('click', { eventId: 'c' }),
      ],
    });
    expect(outcome).toMatchObject({
      statusCode: 200,
      body: { accepted: 2, rejected: [{ index: 1, eventId: 'deep' }] },
    });
    expect(outcome.body.rejected[0]?.path).toMatch(/^properties\.deep(\.a){30}$/);
  });
  it('publishes only events the pipeline would store, traits moved to properties included', async () => {
    // Ingest checks a normalised event's columns, not its context and properties again: those
    // are the validated event's. The pipeline's full check must agree, at the depth limit too.
    const nested = (levels: number): unknown =>
      levels === 0 ? 'x' : { deeper: nested(levels - 1) };
    const published: BusMessage[] = [];
    const ingest = await ingestWith(async (messages) => {
      published.push(...messages);
      return messages.map(() => 'stored' as const);
    });
    // The event is level 1, top-level `traits` level 2 (moved to properties.traits, level 3,
    // as stored): each reaches the limit exactly as sent, or passes it.
    const atLimit = { plan: nested(MAX_NESTING_DEPTH - 2) };
    const beyond = { plan: nested(MAX_NESTING_DEPTH - 1) };
    const atLimitInProperties = { plan: nested(MAX_NESTING_DEPTH - 3) };
    const outcome = await ingest({
      events: [
        { ...makeEvent('identify', { eventId: 'segment-style' }), traits: atLimit },
        makeEvent('identify', { eventId: 'native', properties: { traits: atLimitInProperties } }),
        { ...makeEvent('identify', { eventId: 'too-deep' }), traits: beyond },
      ],
    });
    expect(outcome.body).toMatchObject({ accepted: 2, rejected: [{ eventId: 'too-deep' }] });
    expect(published).toHaveLength(2);
    for (const message of published) {
      expect(storedEventSchema.safeParse(JSON.parse(message.value)).success).toBe(true);
    }
  });
});
