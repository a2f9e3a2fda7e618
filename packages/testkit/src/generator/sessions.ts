import type { Catalogue, CatalogueItem, Category } from './catalogue.js';
import { exponential, geometric } from './distributions.js';
import type { OrderLine } from './orders.js';
import type { Device } from './people.js';
import type { Random } from './prng.js';
import { SECOND } from './time.js';
import type { EventDraft, Timeline, Who } from './timeline.js';

/** How a visit starts: where the visitor came from. */
export type VisitSource = 'direct' | 'search' | 'ads' | 'social' | 'email';

// A type rather than an interface, so that it fits the event context's open record.
export type Campaign = { source: string; medium: string; name: string };

export interface Shop {
  site: string;
  catalogue: Catalogue;
}

export type Page =
  | { kind: 'home' | 'cart' | 'checkout' | 'confirmation' | 'signup' | 'login' | 'account' }
  | { kind: 'category'; category: Category }
  | { kind: 'product'; item: CatalogueItem; category: Category }
  | { kind: 'search'; category: Category; query: string };

/** The referrer a visit from this source arrives with. */
export const REFERRERS: Readonly<Record<VisitSource, string | undefined>> = {
  direct: undefined,
  search: 'https://www.google.com/',
  ads: 'https://www.google.com/',
  social: 'https://social.example/',
  email: undefined,
};

const SOURCE_WEIGHTS: readonly (readonly [VisitSource, number])[] = [
  ['direct', 0.35],
  ['search', 0.35],
  ['ads', 0.12],
  ['social', 0.18],
];

/** Where a visit comes from, when nothing (such as an email click) decides it. */
export function drawSource(random: Random): VisitSource {
  let draw = random.next();
  for (const [source, weight] of SOURCE_WEIGHTS) {
    draw -= weight;
    if (draw < 0) return source;
  }
  return 'direct';
}

/**
 * One visit on one device: page views, clicks, searches and tracked steps, a few seconds to
 * minutes apart, timed relative to its start until it is placed on the timeline.
 */
export class Visit {
  readonly #entries: { offset: number; draft: EventDraft }[] = [];
  readonly #shop: Shop;
  readonly #random: Random;
  readonly #device: Device;
  readonly #locale: string;
  #campaign: Campaign | undefined;
  #clock = 0;
  #url: string | undefined;
  #page: Page | undefined;
  who: Who;

  constructor(
    shop: Shop,
    random: Random,
    device: Device,
    locale: string,
    who: Who,
    campaign?: Campaign,
  ) {
    this.#shop = shop;
    this.#random = random;
    this.#device = device;
    this.#locale = locale;
    this.who = who;
    this.#campaign = campaign;
  }

  get channel(): 'web' | 'mobile' {
    return this.#device.kind === 'app' ? 'mobile' : 'web';
  }

  get page(): Page | undefined {
    return this.#page;
  }

  /** Time since the visit started, in ms. */
  get offset(): number {
    return this.#clock;
  }

  /** Lets time pass: a few seconds at least, `meanSeconds` more on average. */
  wait(meanSeconds: number): void {
    this.#clock += Math.round((3 + exponential(this.#random, 1 / meanSeconds)) * SECOND);
  }

  /** An event at the current moment of the visit, under the visitor's current identity. */
  emit(draft: EventDraft): void {
    this.#entries.push({ offset: this.#clock, draft });
  }

  #context(): { ip: string; userAgent: string; locale: string } {
    return { ip: this.#device.ip, userAgent: this.#device.userAgent, locale: this.#locale };
  }

  view(page: Page, referrer?: string): void {
    const { path, title } = describe(page);
    const url = `${this.#shop.site}${path}`;
    const from = this.#url ?? referrer;
    const context = this.#campaign
      ? { ...this.#context(), campaign: this.#campaign }
      : this.#context();
    this.#campaign = undefined;
    this.emit({
      type: 'page_view',
      ...this.who,
      channel: this.channel,
      context,
      properties: { url, title, path, ...(from === undefined ? {} : { referrer: from }) },
    });
    this.#url = url;
    this.#page = page;
  }

  click(target: string, to?: Page): void {
    const href = to ? `${this.#shop.site}${describe(to).path}` : undefined;
    this.emit({
      type: 'click',
      ...this.who,
      channel: this.channel,
      context: this.#context(),
      properties: {
        target,
        ...(this.#url === undefined ? {} : { url: this.#url }),
        ...(href === undefined ? {} : { href }),
      },
    });
    // The next page takes a moment to load.
    if (to) this.#clock += this.#random.int(1, 3) * SECOND;
  }

  search(query: string, resultsCount: number): void {
    this.emit({
      type: 'search',
      ...this.who,
      channel: this.channel,
      context: this.#context(),
      properties: { query, resultsCount },
    });
    this.#clock += this.#random.int(1, 2) * SECOND;
  }

  track(name: string, properties: Record<string, unknown> = {}): void {
    this.emit({
      type: 'track',
      ...this.who,
      channel: this.channel,
      context: this.#context(),
      properties: { ...properties, name },
    });
  }

  /** Signs the visitor up or in: links this device to the customer from here on. */
  identify(customerId: string, traits: Record<string, string> | undefined, event: string): void {
    this.who = {
      customerId,
      ...(this.who.anonymousId ? { anonymousId: this.who.anonymousId } : {}),
    };
    this.emit({
      type: 'identify',
      ...this.who,
      customerId,
      channel: this.channel,
      context: this.#context(),
      ...(traits ? { properties: { traits } } : {}),
    });
    this.wait(2);
    this.track(event);
  }

  /** Places the visit on the timeline so that it starts at `startAt` (epoch ms). */
  commit(timeline: Timeline, startAt: number): void {
    for (const { offset, draft } of this.#entries) timeline.add(startAt + offset, draft);
  }
}

function describe(page: Page): { path: string; title: string } {
  switch (page.kind) {
    case 'home':
      return { path: '/', title: 'Home' };
    case 'category':
      return { path: `/c/${page.category.slug}`, title: page.category.name };
    case 'product':
      return { path: `/p/${page.item.sku}`, title: page.item.name };
    case 'search':
      return {
        path: `/search?q=${encodeURIComponent(page.query)}`,
        title: `Search: ${page.query}`,
      };
    case 'cart':
      return { path: '/cart', title: 'Your cart' };
    case 'checkout':
      return { path: '/checkout', title: 'Checkout' };
    case 'confirmation':
      return { path: '/checkout/complete', title: 'Thank you for your order' };
    case 'signup':
      return { path: '/account/signup', title: 'Create an account' };
    case 'login':
      return { path: '/account/login', title: 'Sign in' };
    case 'account':
      return { path: '/account', title: 'Your account' };
  }
}

/** The page a visit lands on, given where it came from. */
export function landingPage(random: Random, source: VisitSource, interest: Category): Page {
  if (source === 'direct') return { kind: 'home' };
  if (source === 'search' && random.chance(0.4)) return { kind: 'category', category: interest };
  return { kind: 'product', item: interest.popular.draw(random), category: interest };
}

/** A product page of the category, by popularity. */
const productOf = (random: Random, category: Category): Page => ({
  kind: 'product',
  item: category.popular.draw(random),
  category,
});

/**
 * Browses for a while: `steps` moves from page to page (clicking a product card or a menu
 * entry, sometimes searching, now and then putting something in the cart and leaving it).
 */
export function browse(
  visit: Visit,
  random: Random,
  shop: Shop,
  interest: Category,
  steps: number,
): void {
  for (let step = 0; step < steps; step++) {
    visit.wait(25);
    const page = visit.page;
    if (random.chance(0.12)) {
      const category = random.chance(0.7) ? interest : shop.catalogue.categoryShare.draw(random);
      const query = random.pick(category.searchTerms);
      visit.search(query, random.chance(0.06) ? 0 : random.int(1, 48));
      visit.view({ kind: 'search', category, query });
      continue;
    }
    if (page?.kind === 'product') {
      if (random.chance(0.06)) {
        visit.click('add-to-cart');
        visit.track('add_to_cart', { sku: page.item.sku, quantity: 1 });
        visit.wait(10);
      }
      if (random.chance(0.55)) {
        const next = productOf(random, page.category);
        visit.click('product-card', next);
        visit.view(next);
      } else {
        const category = random.chance(0.75)
          ? page.category
          : shop.catalogue.categoryShare.draw(random);
        const next: Page = { kind: 'category', category };
        visit.click('nav-category', next);
        visit.view(next);
      }
      continue;
    }
    const category =
      page?.kind === 'category' || page?.kind === 'search' ? page.category : interest;
    const next = productOf(random, category);
    visit.click(random.chance(0.2) && page?.kind === 'home' ? 'banner' : 'product-card', next);
    visit.view(next);
  }
}

/** How many moves a visit makes after landing: most visits are short, a few long. */
export function drawSteps(random: Random): number {
  return Math.min(geometric(random, 0.33), 15);
}

/**
 * Puts the lines in the cart and goes through checkout; `pay` emits the purchase (and, for a
 * guest who signs up at checkout, the identify before it). Returns the offset of the payment.
 */
export function checkout(
  visit: Visit,
  lines: readonly OrderLine[],
  currency: string,
  pay: () => void,
): number {
  for (const line of lines) {
    const page = visit.page;
    if (page?.kind !== 'product' || page.item.sku !== line.item.sku) {
      const next: Page = { kind: 'product', item: line.item, category: line.category };
      visit.wait(20);
      visit.click('product-card', next);
      visit.view(next);
    }
    visit.wait(30);
    visit.click('add-to-cart');
    visit.track('add_to_cart', {
      sku: line.item.sku,
      price: line.price,
      quantity: line.quantity,
      currency,
    });
  }
  visit.wait(8);
  visit.click('cart-icon', { kind: 'cart' });
  visit.view({ kind: 'cart' });
  visit.wait(15);
  visit.click('checkout', { kind: 'checkout' });
  visit.track('checkout_started', { lines: lines.length, currency });
  visit.view({ kind: 'checkout' });
  visit.wait(60);
  pay();
  const paidAt = visit.offset;
  visit.wait(2);
  visit.view({ kind: 'confirmation' });
  return paidAt;
}
