import { eventSchema, type EventInput } from '@rapport/schemas';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalogue } from './catalogue.js';
import { generateCustomer, generateCustomers, generateEvents } from './generate.js';
import { currencyRatesToUsd, DEFAULT_END, resolveOptions } from './options.js';
import type { GeneratedCustomer } from './types.js';

const SEED = 20240501;
const PEOPLE = 3000;
const END = Date.parse(DEFAULT_END);
const DAY = 86_400_000;

type Of<T extends EventInput['type']> = Extract<EventInput, { type: T }>;
const ofType = <T extends EventInput['type']>(events: readonly EventInput[], type: T) =>
  events.filter((event): event is Of<T> => event.type === type);

let people: GeneratedCustomer[];
let events: EventInput[];

beforeAll(() => {
  people = [...generateCustomers({ seed: SEED, customers: PEOPLE })];
  events = people.flatMap((person) => person.events);
});

describe('generateCustomers', () => {
  it('generates events that are all valid against the event contract', () => {
    expect(events.length).toBeGreaterThan(PEOPLE * 10);
    const invalid = events.filter((event) => !eventSchema.safeParse(event).success);
    expect(invalid).toEqual([]);
  });

  it('gives every event a unique id derived from the seed and an ISO time within the period', () => {
    const ids = new Set(events.map((event) => event.eventId));
    expect(ids.size).toBe(events.length);
    const start = Date.parse('2022-12-31T23:59:59Z');
    const idPattern = new RegExp(`^g-${SEED}-\\d+-\\d+$`);
    const misfits = events.filter((event) => {
      const at = Date.parse(event.timestamp);
      return (
        !idPattern.test(event.eventId ?? '') ||
        !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(event.timestamp) ||
        at < start ||
        at > END ||
        event.sentAt !== undefined
      );
    });
    expect(misfits).toEqual([]);
  });

  it('hands out each person’s events in time order', () => {
    for (const { events: own } of people) {
      const times = own.map((event) => Date.parse(event.timestamp));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('is deterministic: same seed, same output; another seed, other output', () => {
    const again = [...generateCustomers({ seed: SEED, customers: 200 })];
    expect(JSON.stringify(again)).toBe(JSON.stringify(people.slice(0, 200)));
    const other = [...generateCustomers({ seed: SEED + 1, customers: 200 })];
    expect(JSON.stringify(other.map((person) => person.events))).not.toBe(
      JSON.stringify(again.map((person) => person.events)),
    );
  });

  it('generates person n alone exactly as within the whole generation', () => {
    for (const index of [0, 17, 2999]) {
      expect(generateCustomer({ seed: SEED, customers: PEOPLE }, index)).toEqual(people[index]);
    }
  });

  it('has many anonymous visitors, of whom a fraction identify with unique contact details', () => {
    const identified = people.filter((person) => person.truth.customerId !== undefined);
    expect(identified.length / PEOPLE).toBeGreaterThan(0.3);
    expect(identified.length / PEOPLE).toBeLessThan(0.4);
    const visitors = people.filter((person) => person.truth.role === 'visitor');
    for (const { events: own } of visitors) {
      expect(own.every((event) => event.customerId === undefined && event.anonymousId)).toBe(true);
    }
    const emails = new Set<string>();
    for (const { events: own, truth } of identified) {
      const [signUp] = ofType(own, 'identify');
      expect(signUp).toMatchObject({
        customerId: truth.customerId,
        anonymousId: truth.anonymousIds[0],
        properties: { traits: { email: truth.email } },
      });
      expect(signUp?.properties?.traits?.name).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
      expect(signUp?.properties?.traits?.phone).toMatch(/^\+\d/);
      emails.add(truth.email ?? '');
      // Before signing up the device is anonymous; from then on its visits name the customer.
      const signedUpAt = Date.parse(signUp?.timestamp ?? '');
      for (const event of own) {
        if (event.anonymousId !== truth.anonymousIds[0]) continue;
        if (Date.parse(event.timestamp) < signedUpAt) expect(event.customerId).toBeUndefined();
        if (Date.parse(event.timestamp) > signedUpAt + 3_600_000) {
          expect(event.customerId).toBe(truth.customerId);
        }
      }
    }
    expect(emails.size).toBe(identified.length);
    // Some customers also use a second device, linked by a sign-in.
    expect(identified.some((person) => person.truth.anonymousIds.length === 2)).toBe(true);
  });

  it('has far fewer purchases than page views, and several page views and clicks per visit', () => {
    const purchases = ofType(events, 'purchase').length;
    const pageViews = ofType(events, 'page_view').length;
    expect(purchases).toBeGreaterThan(100);
    expect(pageViews / purchases).toBeGreaterThan(10);
    expect(ofType(events, 'click').length).toBeGreaterThan(pageViews / 2);
    expect(ofType(events, 'search').length).toBeGreaterThan(purchases);
  });

  it('draws buyers with widely differing rates, some of whom silently stop buying', () => {
    const buyers = people.flatMap((person) => (person.truth.buyer ? [person] : []));
    expect(buyers.length / PEOPLE).toBeGreaterThan(0.12);
    const lambdas = buyers
      .map((buyer) => buyer.truth.buyer?.lambdaPerYear ?? 0)
      .sort((a, b) => a - b);
    const mean = lambdas.reduce((sum, value) => sum + value, 0) / lambdas.length;
    expect(mean).toBeGreaterThan(3 * 0.8);
    expect(mean).toBeLessThan(3 * 1.2);
    // Gamma with shape < 1: a tenth of buyers buy over ten times as often as the median one.
    const at = (q: number) => lambdas[Math.floor(q * (lambdas.length - 1))] ?? 0;
    expect(at(0.9) / at(0.5)).toBeGreaterThan(3);

    const stopped = buyers.filter((buyer) => buyer.truth.buyer?.droppedOutAt !== undefined);
    expect(stopped.length / buyers.length).toBeGreaterThan(0.1);
    const longGone = stopped.filter(
      (buyer) => Date.parse(buyer.truth.buyer?.lastPurchaseAt ?? '') < END - 180 * DAY,
    );
    expect(longGone.length).toBeGreaterThan(20);

    for (const { events: own, truth } of buyers) {
      const buyer = truth.buyer;
      const purchases = ofType(own, 'purchase');
      expect(purchases.length).toBe(buyer?.orders);
      expect(purchases[purchases.length - 1]?.timestamp).toBe(buyer?.lastPurchaseAt);
      expect(purchases.every((purchase) => purchase.customerId === truth.customerId)).toBe(true);
      const revenue = purchases.reduce((sum, purchase) => sum + purchase.properties.revenue, 0);
      expect(revenue).toBeCloseTo(buyer?.revenue ?? 0, 2);
      if (buyer?.droppedOutAt !== undefined) {
        // Dropping out happens right after a purchase, and nothing is bought after it.
        expect(buyer.droppedOutAt).toBe(buyer.lastPurchaseAt);
      }
    }
  });

  it('prices orders from a catalogue of ten categories and two hundred items', () => {
    const catalogue = buildCatalogue(SEED);
    expect(catalogue.categories).toHaveLength(10);
    expect(catalogue.items).toHaveLength(200);
    const bySku = new Map(catalogue.items.map((item) => [item.sku, item]));
    const values: number[] = [];
    for (const purchase of ofType(events, 'purchase')) {
      const { items = [], revenue, currency } = purchase.properties;
      expect(currency).toBe('USD');
      expect(items.length).toBeGreaterThan(0);
      let sum = 0;
      for (const item of items) {
        const known = bySku.get(item.sku);
        expect(known).toMatchObject({
          name: item.name,
          category: item.category,
          priceUsd: item.price,
        });
        sum += (item.price ?? 0) * (item.quantity ?? 0);
      }
      expect(revenue).toBeCloseTo(sum, 2);
      values.push(revenue);
    }
    // Order values are skewed to the right, as lognormal ones are.
    values.sort((a, b) => a - b);
    const median = values[Math.floor(values.length / 2)] ?? 0;
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(median).toBeGreaterThan(30);
    expect(median).toBeLessThan(120);
    expect(mean).toBeGreaterThan(median);
  });

  it('refunds a small fraction of orders, in part or in full', () => {
    const purchases = new Map(ofType(events, 'purchase').map((p) => [p.properties.orderId, p]));
    const refunds = ofType(events, 'refund');
    expect(refunds.length / purchases.size).toBeGreaterThan(0.02);
    expect(refunds.length / purchases.size).toBeLessThan(0.1);
    let partial = 0;
    for (const refund of refunds) {
      const order = purchases.get(refund.properties.orderId);
      expect(order).toBeDefined();
      expect(refund.properties.amount).toBeLessThanOrEqual(order?.properties.revenue ?? 0);
      expect(Date.parse(refund.timestamp)).toBeGreaterThan(Date.parse(order?.timestamp ?? ''));
      if (refund.properties.amount < (order?.properties.revenue ?? 0)) partial++;
    }
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(refunds.length);
    const refunded = people.reduce((sum, person) => sum + (person.truth.buyer?.refunds ?? 0), 0);
    expect(refunded).toBe(refunds.length);
  });

  it('runs an email funnel: sent → delivered → opened → clicked, with bounces and unsubscribes', () => {
    const emails = ofType(events, 'email');
    const count = (action: string) => emails.filter((e) => e.properties.action === action).length;
    const [sent, delivered, opened, clicked] = ['sent', 'delivered', 'opened', 'clicked'].map(
      count,
    );
    expect(sent).toBeGreaterThan(1000);
    expect(delivered).toBeLessThan(sent ?? 0);
    expect(delivered).toBeGreaterThan(0.9 * (sent ?? 0));
    expect(opened).toBeLessThan(0.5 * (delivered ?? 0));
    expect(opened).toBeGreaterThan(0.1 * (delivered ?? 0));
    expect(clicked).toBeLessThan(0.5 * (opened ?? 0));
    expect(clicked).toBeGreaterThan(0);
    expect(count('bounced')).toBeGreaterThan(0);
    expect(count('unsubscribed')).toBeGreaterThan(0);
    // Email goes to known customers only, and a click leads to a visit from that campaign.
    expect(emails.every((email) => email.customerId && !email.anonymousId)).toBe(true);
    const fromEmail = ofType(events, 'page_view').filter(
      (view) => view.context?.campaign?.medium === 'email',
    );
    expect(fromEmail.length).toBeGreaterThan(0.5 * (clicked ?? 0));
  });

  it('records offline interactions: store visits, calls, chats, tickets and surveys', () => {
    const interactions = ofType(events, 'interaction');
    const kinds = new Set(interactions.map((event) => event.properties.kind));
    for (const kind of [
      'store_visit',
      'call',
      'chat',
      'ticket_opened',
      'ticket_resolved',
      'survey_response',
    ]) {
      expect(kinds).toContain(kind);
    }
    const surveys = interactions.filter((event) => event.properties.kind === 'survey_response');
    expect(surveys.every((survey) => typeof survey.properties.score === 'number')).toBe(true);
    const opened = interactions.filter((event) => event.properties.kind === 'ticket_opened').length;
    const resolved = interactions.filter(
      (event) => event.properties.kind === 'ticket_resolved',
    ).length;
    expect(resolved).toBeLessThanOrEqual(opened);
    expect(resolved).toBeGreaterThan(0.8 * opened);
    expect(ofType(events, 'purchase').some((purchase) => purchase.channel === 'store')).toBe(true);
  });
});

describe('options', () => {
  it('mixes currencies when asked, each buyer paying in one', () => {
    const mixed = [
      ...generateCustomers({ seed: 5, customers: 1500, currencies: { USD: 6, EUR: 3, GBP: 1 } }),
    ];
    const currencies = new Map<string, number>();
    for (const person of mixed) {
      const own = new Set(ofType(person.events, 'purchase').map((p) => p.properties.currency));
      expect(own.size).toBeLessThanOrEqual(1);
      for (const code of own) currencies.set(code, (currencies.get(code) ?? 0) + 1);
    }
    expect([...currencies.keys()].sort()).toEqual(['EUR', 'GBP', 'USD']);
    expect(currencies.get('USD') ?? 0).toBeGreaterThan(currencies.get('EUR') ?? 0);
    expect(currencies.get('EUR') ?? 0).toBeGreaterThan(currencies.get('GBP') ?? 0);
    expect(currencyRatesToUsd(['USD', 'EUR', 'GBP'])).toBe('EUR=1.0870,GBP=1.2658');
  });

  it('spreads events over the period asked for', () => {
    const start = '2023-03-01T00:00:00Z';
    const end = '2023-06-30T23:59:59Z';
    const own = [...generateEvents({ seed: 9, customers: 300, start, end })];
    const times = own.map((event) => Date.parse(event.timestamp));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.parse(start));
    expect(Math.max(...times)).toBeLessThanOrEqual(Date.parse(end));
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(90 * DAY);
  });

  it('honours the identify and buyer rates', () => {
    const none = [...generateCustomers({ seed: 4, customers: 300, identifyRate: 0 })];
    expect(none.every((person) => person.truth.role === 'visitor')).toBe(true);
    const all = [...generateCustomers({ seed: 4, customers: 300, identifyRate: 1, buyerRate: 1 })];
    expect(all.every((person) => person.truth.role === 'buyer')).toBe(true);
  });

  it('rejects options that make no sense, naming them', () => {
    expect(() => resolveOptions({ identifyRate: 1.5 })).toThrow(/identifyRate/);
    expect(() => resolveOptions({ currencies: { XYZ: 1 } })).toThrow(/XYZ/);
    expect(() => resolveOptions({ start: '2025-01-01T00:00:00Z' })).toThrow(/before end/);
    expect(() => resolveOptions({ customers: -1 })).toThrow(/customers/);
    expect(() => resolveOptions({ end: 'yesterday' })).toThrow(/end/);
  });
});

describe('streaming', () => {
  it('is lazy: the first events of a million people come at once', () => {
    const started = Date.now();
    const first: EventInput[] = [];
    for (const event of generateEvents({ seed: 1, customers: 1_000_000 })) {
      first.push(event);
      if (first.length === 100) break;
    }
    expect(first).toHaveLength(100);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('streams fifty thousand people in bounded memory', () => {
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let count = 0;
    let people = 0;
    for (const event of generateEvents({
      seed: 2,
      customers: 50_000,
      onCustomer: () => {
        if (++people % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
      },
    })) {
      if (event.eventId) count++;
    }
    expect(people).toBe(50_000);
    // About two million events: kept in memory they would take well over a gigabyte.
    expect(count).toBeGreaterThan(1_000_000);
    expect(peak - before).toBeLessThan(200 * 1024 * 1024);
  });
});
