import { createHash } from 'node:crypto';
import {
  customerKeyOf,
  defaultChannel,
  EARLIEST_EVENT_TIME,
  isoOf,
  MAX_AMOUNT,
  MAX_EVENT_LEAD_MS,
  storedColumnsSchema,
  type Event,
  type StoredEvent,
} from '@rapport/schemas';
import { ok, reject, type StepResult } from './step-result.js';

export interface NormalizeOptions {
  reportingCurrency: string;
  /** Units of the reporting currency per unit of each currency. */
  currencyRates: Readonly<Record<string, number>>;
  /** Events before this time (epoch ms) are rejected; EARLIEST_EVENT_TIME when absent. */
  earliestEventTime?: number;
}

/** JSON with object keys sorted, so equal content always hashes alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The id of an event sent without one: a hash of its content. sentAt is left out because a
 * retry is sent later than the original and is still the same event.
 */
export function deriveEventId(event: Event): string {
  const { sentAt: _sentAt, ...content } = event;
  return `h-${createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 40)}`;
}

const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

function moneyOf(event: Event) {
  if (event.type === 'purchase') {
    const { orderId, revenue, currency } = event.properties;
    return { orderId, value: revenue, currency, path: 'properties.revenue' };
  }
  if (event.type === 'refund') {
    const { orderId, amount, currency } = event.properties;
    return { orderId, value: amount, currency, path: 'properties.amount' };
  }
  return undefined;
}

/** Where a stored event's column came from in the event as sent. */
const SOURCE_OF: Readonly<Record<keyof StoredEvent, string>> = {
  event_id: 'eventId',
  type: 'type',
  customer_key: 'customerId',
  customer_id: 'customerId',
  anonymous_id: 'anonymousId',
  timestamp: 'timestamp',
  original_timestamp: 'timestamp',
  sent_at: 'sentAt',
  received_at: '',
  channel: 'channel',
  order_id: 'properties.orderId',
  amount: 'properties',
  currency: 'properties.currency',
  amount_original: 'properties',
  context: 'context',
  properties: 'properties',
};

/**
 * The last check before an event leaves ingest: the one the pipeline makes of everything it
 * reads off the bus (storedEventSchema), so no path lets a value through that the store cannot
 * hold. Its context and properties are the validated event's own, so only the columns are read.
 */
function checkStorable(stored: StoredEvent, moneyPath: string | undefined) {
  const parsed = storedColumnsSchema.safeParse(stored);
  if (parsed.success) return ok(stored);
  return reject<StoredEvent>(
    'out_of_range',
    ...parsed.error.issues.map((issue) => {
      const column = issue.path[0] as keyof StoredEvent;
      const amount = column === 'amount' || column === 'amount_original';
      return {
        path: (amount ? moneyPath : undefined) ?? SOURCE_OF[column] ?? '',
        message: `${amount ? 'in the reporting currency, ' : ''}${issue.message}`,
      };
    }),
  );
}

/**
 * Gives a valid event its final form: event id, customer key, skew-corrected time, channel,
 * and money in the reporting currency.
 */
export function createNormalizeEventStep(options: NormalizeOptions) {
  const floor = options.earliestEventTime ?? EARLIEST_EVENT_TIME;
  const floorText = isoOf(floor).slice(0, 10);
  return function normalizeEventStep(event: Event, receivedAt: number): StepResult<StoredEvent> {
    const original = Date.parse(event.timestamp);
    const sentAt = event.sentAt === undefined ? null : Date.parse(event.sentAt);
    // The client clock is off by (sentAt - receivedAt); shift the event time by the same.
    const timestamp = sentAt === null ? original : original + (receivedAt - sentAt);
    if (timestamp < floor || timestamp > receivedAt + MAX_EVENT_LEAD_MS) {
      // Say which bound it crossed, and the corrected time only when sentAt moved it.
      const when = isoOf(timestamp);
      const time =
        timestamp === original ? when : `${when} (after clock-skew correction by sentAt)`;
      return reject('timestamp_out_of_range', {
        path: 'timestamp',
        message:
          timestamp < floor
            ? `${time} is before ${floorText}, the earliest time taken (RAPPORT_EARLIEST_EVENT_TIME)`
            : `${time} is more than a day ahead of the server clock (${isoOf(receivedAt)})`,
      });
    }
    const money = moneyOf(event);
    let amount = 0;
    if (money) {
      const rate = options.currencyRates[money.currency];
      if (rate === undefined) {
        return reject('no_exchange_rate', {
          path: 'properties.currency',
          message: `no exchange rate is configured for ${money.currency} (reporting currency ${options.reportingCurrency}; see RAPPORT_CURRENCY_RATES)`,
        });
      }
      amount = round4(money.value * rate);
      if (!(amount < MAX_AMOUNT)) {
        return reject('out_of_range', {
          path: money.path,
          message: `is ${amount} ${options.reportingCurrency} after conversion from ${money.currency} (rate ${rate}); amounts must be less than ${MAX_AMOUNT}`,
        });
      }
    }
    const stored: StoredEvent = {
      event_id: event.eventId ?? deriveEventId(event),
      type: event.type,
      customer_key: customerKeyOf(event),
      customer_id: event.customerId ?? '',
      anonymous_id: event.anonymousId ?? '',
      timestamp,
      original_timestamp: original,
      sent_at: sentAt,
      received_at: receivedAt,
      channel: event.channel ?? defaultChannel(event),
      order_id: money?.orderId ?? '',
      amount,
      currency: money?.currency ?? '',
      amount_original: money ? round4(money.value) : 0,
      context: event.context ?? {},
      properties: event.properties ?? {},
    };
    return checkStorable(stored, money?.path);
  };
}
