import { exponential } from './distributions.js';
import type { Random } from './prng.js';
import { HOUR, MINUTE } from './time.js';
import type { Timeline } from './timeline.js';

/** Interactions away from the website: store visits, support contacts and surveys. */

const STORES = [
  { storeId: 'st-nyc-01', storeName: 'New York SoHo' },
  { storeId: 'st-chi-01', storeName: 'Chicago Loop' },
  { storeId: 'st-sfo-01', storeName: 'San Francisco Union Square' },
  { storeId: 'st-lon-01', storeName: 'London Covent Garden' },
  { storeId: 'st-ber-01', storeName: 'Berlin Mitte' },
];

const TOPICS = ['delivery', 'returns', 'sizing', 'payment', 'product question', 'account'];

export type Store = (typeof STORES)[number];

export function drawStore(random: Random): Store {
  return random.pick(STORES);
}

export function storeVisit(
  random: Random,
  timeline: Timeline,
  customerId: string,
  at: number,
  store: Store,
): void {
  timeline.add(at, {
    type: 'interaction',
    customerId,
    channel: 'store',
    properties: { kind: 'store_visit', ...store, minutes: random.int(5, 45) },
  });
}

/**
 * A support case: a call or chat, the ticket it opens and, a while later, its resolution;
 * sometimes followed by a satisfaction survey (CSAT, 1–5) that reflects how happy the customer
 * is in general and how long the case took.
 */
export function supportCase(
  random: Random,
  timeline: Timeline,
  customerId: string,
  at: number,
  ticketId: string,
  satisfaction: number,
  orderId?: string,
  topic = random.pick(TOPICS),
): void {
  const byPhone = random.chance(0.45);
  timeline.add(at, {
    type: 'interaction',
    customerId,
    channel: byPhone ? 'phone' : 'chat',
    properties: {
      kind: byPhone ? 'call' : 'chat',
      durationSeconds: random.int(60, 1500),
      topic,
      ...(orderId === undefined ? {} : { orderId }),
    },
  });
  const openedAt = at + random.int(1, 15) * MINUTE;
  timeline.add(openedAt, {
    type: 'interaction',
    customerId,
    channel: 'support',
    properties: {
      kind: 'ticket_opened',
      ticketId,
      topic,
      priority: random.chance(0.15) ? 'high' : 'normal',
      ...(orderId === undefined ? {} : { orderId }),
    },
  });
  const hours = exponential(random, 1 / 30) + 0.5;
  const resolvedAt = openedAt + hours * HOUR;
  timeline.add(resolvedAt, {
    type: 'interaction',
    customerId,
    channel: 'support',
    properties: {
      kind: 'ticket_resolved',
      ticketId,
      resolution: random.chance(0.85) ? 'solved' : 'no_response',
    },
  });
  if (random.chance(0.4)) {
    const slow = hours > 48 ? 1 : 0;
    const score = Math.min(
      Math.max(Math.round(1 + 4 * satisfaction + random.uniform(-1, 1)) - slow, 1),
      5,
    );
    timeline.add(resolvedAt + random.int(10, 48 * 60) * MINUTE, {
      type: 'interaction',
      customerId,
      channel: 'email',
      properties: { kind: 'survey_response', survey: 'csat', score, ticketId },
    });
  }
}

/** A net-promoter survey answer, 0–10, around the customer's general satisfaction. */
export function npsResponse(
  random: Random,
  timeline: Timeline,
  customerId: string,
  at: number,
  satisfaction: number,
): void {
  const score = Math.min(Math.max(Math.round(10 * satisfaction + random.uniform(-2, 2)), 0), 10);
  timeline.add(at, {
    type: 'interaction',
    customerId,
    channel: 'email',
    properties: { kind: 'survey_response', survey: 'nps', score },
  });
}
