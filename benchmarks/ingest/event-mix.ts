import type { EventType } from '@rapport/schemas';
import { makeEvent } from '@rapport/testkit';
import { createRandom, type Random } from '../lib/random.js';

/** Events fall in the 90 days before this fixed instant, oldest first, like a steady feed. */
export const MIX_END = Date.UTC(2024, 4, 1, 0, 0, 0);
export const MIX_WINDOW_MS = 90 * 24 * 60 * 60 * 1000;

const CUSTOMERS = 20_000;
const ANONYMOUS = 8_000;

/** Share of each type in the mix (per mille). */
const TYPE_WEIGHTS: Record<EventType, number> = {
  page_view: 560,
  click: 120,
  search: 80,
  email: 70,
  track: 60,
  interaction: 40,
  identify: 30,
  purchase: 30,
  refund: 10,
};

const WEB_TYPES = new Set<EventType>(['page_view', 'click', 'search']);

const CATALOGUE = Array.from({ length: 400 }, (_, index) => ({
  sku: `sku-${1000 + index}`,
  name: `Product ${1000 + index}`,
  category: ['shoes', 'jackets', 'bags', 'tents', 'socks', 'hats'][index % 6]!,
  price: Math.round((9.9 + ((index * 37) % 240)) * 100) / 100,
}));
const PAGES = ['/', '/cart', '/checkout', '/account', '/help', '/stores'];
const TARGETS = ['add-to-cart', 'buy-now', 'nav-menu', 'product-card', 'newsletter', 'size-filter'];
const QUERIES = [
  'trail shoes',
  'rain jacket',
  'tent 2 person',
  'wool socks',
  'backpack 30l',
  'cap',
];
const CAMPAIGNS = ['spring-sale', 'welcome-series', 'cart-reminder', 'newsletter-w12', 'winback'];
const EMAIL_ACTIONS: Record<string, number> = {
  sent: 40,
  delivered: 35,
  opened: 15,
  clicked: 6,
  bounced: 2,
  unsubscribed: 1,
  complained: 1,
};
const INTERACTIONS = ['store_visit', 'call', 'chat', 'ticket_opened', 'ticket_resolved'];
const TRACKS = ['wishlist_added', 'coupon_applied', 'size_guide_opened', 'review_written'];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1',
];
const LOCALES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'nl-NL'];

/** Busy customers send more: a skewed draw over the customer ids. */
const customerId = (random: Random) =>
  `cust-${String(Math.floor(CUSTOMERS * random.next() ** 2)).padStart(5, '0')}`;
const anonymousId = (random: Random) => `anon-${random.int(ANONYMOUS).toString(36)}`;

/** `ref` names the order of a purchase or refund and the person of an identify. */
function propertiesOf(type: EventType, random: Random, ref: string): Record<string, unknown> {
  const product = random.pick(CATALOGUE);
  switch (type) {
    case 'page_view': {
      const path = random.chance(0.6) ? `/products/${product.sku}` : random.pick(PAGES);
      return {
        url: `https://shop.example${path}`,
        path,
        title: path.startsWith('/products/') ? product.name : 'Shop',
        ...(random.chance(0.3) ? { referrer: 'https://search.example/' } : {}),
      };
    }
    case 'click':
      return { target: random.pick(TARGETS), url: `https://shop.example/products/${product.sku}` };
    case 'search':
      return { query: random.pick(QUERIES), resultsCount: random.int(80) };
    case 'email':
      return {
        action: random.weighted(EMAIL_ACTIONS),
        campaignId: random.pick(CAMPAIGNS),
        messageId: `m-${random.int(1_000_000)}`,
      };
    case 'purchase': {
      const items = Array.from({ length: 1 + random.int(3) }, () => {
        const item = random.pick(CATALOGUE);
        return { ...item, quantity: 1 + random.int(2) };
      });
      const revenue = items.reduce((sum, item) => sum + item.price * item.quantity, 0);
      return {
        orderId: `o-${ref}`,
        revenue: Math.round(revenue * 100) / 100,
        currency: 'USD',
        items,
      };
    }
    case 'refund':
      return { orderId: `o-${ref}`, amount: product.price, currency: 'USD' };
    case 'identify':
      return { traits: { email: `${ref}@mail.example`, name: `Customer ${ref}` } };
    case 'interaction':
      return {
        kind: random.pick(INTERACTIONS),
        ...(random.chance(0.4) ? { score: 1 + random.int(5) } : {}),
      };
    case 'track':
      return { name: random.pick(TRACKS), sku: product.sku };
  }
}

/**
 * `count` valid events of every type, across 20k customers and 8k anonymous visitors, with
 * unique event ids `<idPrefix>-<n>`. The same arguments give the same events.
 */
export function generateEvents(count: number, seed: number, idPrefix: string) {
  const random = createRandom(seed);
  const start = MIX_END - MIX_WINDOW_MS;
  const events: Record<string, unknown>[] = [];
  for (let index = 0; index < count; index++) {
    const type = random.weighted(TYPE_WEIGHTS);
    const web = WEB_TYPES.has(type);
    const anonymous = web && random.chance(0.15);
    const linked = type === 'identify' || (web && !anonymous && random.chance(0.2));
    const jitter = (random.next() - 0.5) * 10 * 60_000;
    const time = Math.min(MIX_END, start + ((index + 0.5) / count) * MIX_WINDOW_MS + jitter);
    const id = `${idPrefix}-${index.toString(36)}`;
    // A refund points at an earlier event's order, which may or may not be a purchase.
    const ref = type === 'refund' ? `${idPrefix}-${random.int(index + 1).toString(36)}` : id;
    events.push(
      makeEvent(type, {
        eventId: id,
        customerId: anonymous ? undefined : customerId(random),
        anonymousId: anonymous || linked ? anonymousId(random) : undefined,
        timestamp: new Date(Math.round(time)).toISOString(),
        properties: propertiesOf(type, random, ref),
        context: web
          ? {
              userAgent: random.pick(AGENTS),
              locale: random.pick(LOCALES),
              ip: `10.${random.int(256)}.${random.int(256)}.${1 + random.int(254)}`,
            }
          : undefined,
      }),
    );
  }
  return events;
}

/** Request bodies of `batchSize` events each, encoded once before any timing starts. */
export function toRequestBodies(events: readonly Record<string, unknown>[], batchSize: number) {
  const bodies: { body: Buffer; events: number }[] = [];
  for (let offset = 0; offset < events.length; offset += batchSize) {
    const batch = events.slice(offset, offset + batchSize);
    bodies.push({ body: Buffer.from(JSON.stringify({ events: batch })), events: batch.length });
  }
  return bodies;
}

/** The events of one benchmark run: a warm-up set and the timed set, with distinct ids. */
export function benchmarkEvents(options: { events: number; warmupEvents: number; seed: number }) {
  return {
    warmup: generateEvents(options.warmupEvents, options.seed + 1, 'warm'),
    timed: generateEvents(options.events, options.seed, 'evt'),
  };
}
