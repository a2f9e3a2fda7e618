/**
 * Segment's spec'd track events (e-commerce and email) as Rapport event types. Each mapping
 * turns a message's properties into the Rapport type's properties and says which Segment field
 * each Rapport field came from, so a rejection names the field the sender has to fix.
 */

type Json = Record<string, unknown>;

export interface SpecMapping {
  type: 'purchase' | 'refund' | 'search' | 'click' | 'email';
  properties: Json;
  /** Rapport property path → the Segment property path it came from. */
  renames: ReadonlyArray<readonly [string, string]>;
}

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const idText = (value: unknown) => (typeof value === 'number' ? String(value) : value);

/** The first of `keys` the properties carry, else the first key (named in the error). */
const firstKey = (properties: Json, keys: readonly string[]) =>
  keys.find((key) => properties[key] !== undefined) ?? keys[0]!;

/** Segment products (`product_id`, `sku`, …) as Rapport items (`sku`, …); other fields kept. */
function itemsOf(products: unknown): { items: unknown; renames: Array<[string, string]> } {
  if (!Array.isArray(products)) return { items: products, renames: [] };
  const renames: Array<[string, string]> = [];
  const items = products.map((product: unknown, index) => {
    if (!isObject(product)) return product;
    if (product.sku !== undefined) return product;
    renames.push([`properties.items[${index}].sku`, `properties.products[${index}].product_id`]);
    const { product_id: productId, ...rest } = product;
    return { ...rest, sku: idText(productId) };
  });
  return { items, renames };
}

function order(properties: Json, type: 'purchase' | 'refund', reportingCurrency: string) {
  const amountKey = firstKey(
    properties,
    type === 'purchase' ? ['revenue', 'total'] : ['total', 'revenue'],
  );
  const { order_id: orderId, products, ...rest } = properties;
  const { items, renames } = itemsOf(products);
  const money = type === 'purchase' ? 'revenue' : 'amount';
  return {
    type,
    properties: {
      ...rest,
      orderId: idText(orderId),
      [money]: properties[amountKey],
      currency: properties.currency ?? reportingCurrency,
      ...(products === undefined ? {} : { items }),
    },
    renames: [
      ...renames,
      ['properties.orderId', 'properties.order_id'],
      [`properties.${money}`, `properties.${amountKey}`],
      ['properties.items', 'properties.products'],
    ],
  } satisfies SpecMapping;
}

const EMAIL_ACTIONS: Readonly<Record<string, string>> = {
  'email delivered': 'delivered',
  'email opened': 'opened',
  'email link clicked': 'clicked',
  'email bounced': 'bounced',
  'email marked as spam': 'complained',
  unsubscribed: 'unsubscribed',
};

function email(properties: Json, action: string): SpecMapping {
  const campaignKey = firstKey(properties, ['campaign_id', 'campaign_name']);
  const { email_id: emailId, link_url: linkUrl, ...rest } = properties;
  return {
    type: 'email',
    properties: {
      ...rest,
      action,
      campaignId: idText(properties[campaignKey]),
      ...(emailId === undefined ? {} : { messageId: idText(emailId) }),
      ...(linkUrl === undefined ? {} : { linkUrl }),
    },
    renames: [
      ['properties.campaignId', `properties.${campaignKey}`],
      ['properties.messageId', 'properties.email_id'],
      ['properties.linkUrl', 'properties.link_url'],
    ],
  };
}

/** `Order Completed`, `order_completed` and `order-completed` name the same spec event. */
export const specName = (event: string) =>
  event
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');

/** The Rapport type of a spec'd track event, or undefined for any other track. */
export function mapSpecEvent(
  event: string,
  properties: Json,
  reportingCurrency: string,
): SpecMapping | undefined {
  const name = specName(event);
  switch (name) {
    case 'order completed':
      return order(properties, 'purchase', reportingCurrency);
    case 'order refunded':
      return order(properties, 'refund', reportingCurrency);
    case 'products searched':
      return { type: 'search', properties, renames: [] };
    case 'product clicked': {
      const targetKey = firstKey(properties, ['product_id', 'sku', 'name']);
      return {
        type: 'click',
        properties: { ...properties, target: idText(properties[targetKey]) },
        renames: [['properties.target', `properties.${targetKey}`]],
      };
    }
    default: {
      const action = EMAIL_ACTIONS[name];
      return action === undefined ? undefined : email(properties, action);
    }
  }
}
