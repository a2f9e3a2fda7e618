import { itemNear, type Catalogue, type CatalogueItem, type Category } from './catalogue.js';
import { poisson } from './distributions.js';
import { CURRENCY_PER_USD } from './options.js';
import type { Random } from './prng.js';
import type { EventDraft, Who } from './timeline.js';

/** One line of an order, priced in the order's currency. */
export interface OrderLine {
  item: CatalogueItem;
  category: Category;
  price: number;
  quantity: number;
}

export interface Order {
  orderId: string;
  currency: string;
  lines: OrderLine[];
  revenue: number;
}

const cents = (value: number) => Math.round(value * 100) / 100;

/** A catalogue price in another currency, rounded the way shops price. */
export function localPrice(priceUsd: number, currency: string): number {
  const converted = priceUsd * (CURRENCY_PER_USD[currency] ?? 1);
  if (currency === 'JPY') return Math.max(Math.round(converted / 10) * 10, 10);
  if (currency === 'USD') return priceUsd;
  return Math.max(Math.round(converted) - 0.01, 0.99);
}

/**
 * A basket worth about `targetUsd`: one to a few lines, mostly from the buyer's favourite
 * category, each line an item priced near its share of what is left to spend.
 */
export function drawOrder(
  random: Random,
  catalogue: Catalogue,
  favourite: Category,
  targetUsd: number,
  currency: string,
  orderId: string,
): Order {
  const count = Math.min(1 + poisson(random, 0.6), 6);
  const lines: OrderLine[] = [];
  let left = targetUsd;
  for (let n = 0; n < count; n++) {
    const category = random.chance(0.65) ? favourite : catalogue.categoryShare.draw(random);
    const share = left / (count - n);
    const item = itemNear(category, share, random);
    const quantity = Math.min(Math.max(Math.round(share / item.priceUsd), 1), 4);
    left -= item.priceUsd * quantity;
    const existing = lines.find((line) => line.item.sku === item.sku);
    if (existing) existing.quantity = Math.min(existing.quantity + quantity, 9);
    else lines.push({ item, category, price: localPrice(item.priceUsd, currency), quantity });
    if (left <= 0) break;
  }
  const revenue = cents(lines.reduce((sum, line) => sum + line.price * line.quantity, 0));
  return { orderId, currency, lines, revenue };
}

const itemsOf = (lines: readonly OrderLine[]) =>
  lines.map((line) => ({
    sku: line.item.sku,
    name: line.item.name,
    category: line.item.category,
    price: line.price,
    quantity: line.quantity,
  }));

export function purchaseDraft(
  who: Who,
  channel: 'web' | 'mobile' | 'store',
  order: Order,
  extra: Record<string, unknown> = {},
): EventDraft {
  return {
    type: 'purchase',
    ...who,
    channel,
    properties: {
      ...extra,
      orderId: order.orderId,
      revenue: order.revenue,
      currency: order.currency,
      items: itemsOf(order.lines),
    },
  };
}

const REFUND_REASONS = [
  'damaged',
  'wrong size',
  'not as described',
  'changed mind',
  'arrived late',
];

/**
 * A refund of an order: in full (60%), of one line, or a goodwill part of the total.
 * Returns the event and the amount refunded.
 */
export function drawRefund(
  random: Random,
  who: Who,
  order: Order,
): { draft: EventDraft; amount: number } {
  const reason = random.pick(REFUND_REASONS);
  const full = random.chance(0.6);
  const line = random.pick(order.lines);
  let amount: number;
  let lines: OrderLine[] | undefined;
  if (full) {
    amount = order.revenue;
    lines = order.lines;
  } else if (order.lines.length > 1 || (line.quantity > 1 && random.chance(0.7))) {
    amount = cents(line.price);
    lines = [{ ...line, quantity: 1 }];
  } else {
    amount = cents(order.revenue * random.uniform(0.1, 0.5));
  }
  return {
    amount,
    draft: {
      type: 'refund',
      ...who,
      channel: 'support',
      properties: {
        orderId: order.orderId,
        amount,
        currency: order.currency,
        reason,
        ...(lines ? { items: itemsOf(lines) } : {}),
      },
    },
  };
}
