import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

/** The fields of an order, and the CSV header names each is looked for under by default. */
export const ORDER_FIELDS = {
  orderId: ['order_id', 'orderid', 'order', 'invoice', 'invoice_no', 'invoiceno'],
  customerId: ['customer_id', 'customerid', 'customer', 'user_id', 'userid'],
  timestamp: ['timestamp', 'date', 'order_date', 'orderdate', 'created_at', 'invoice_date'],
  revenue: ['revenue', 'amount', 'total', 'value', 'price'],
  currency: ['currency'],
} as const;

export type OrderField = keyof typeof ORDER_FIELDS;

/** A CSV row as an event, or why it is not one: its line and the column at fault. */
export type OrderRow =
  | { line: number; event: Record<string, unknown> }
  | { line: number; column: string; message: string };

export interface CsvOrderOptions {
  /** Field → header name, overriding the defaults above (from `--map field=column`). */
  mapping: Partial<Record<OrderField, string>>;
  /** Currency of rows without a currency column or value. */
  currency: string;
  /** Told the columns found, once the header is read. */
  onColumns?: (columns: ReturnType<typeof columnsOf>) => void;
}

/** The column of each field in this file's header; throws naming what is missing. */
export function columnsOf(header: readonly string[], mapping: CsvOrderOptions['mapping']) {
  const lower = header.map((name) => name.trim().toLowerCase());
  const found: Partial<Record<OrderField, string>> = {};
  for (const field of Object.keys(ORDER_FIELDS) as OrderField[]) {
    const wanted = mapping[field];
    if (wanted !== undefined) {
      const at = lower.indexOf(wanted.trim().toLowerCase());
      if (at === -1) {
        throw new Error(
          `--map ${field}=${wanted}: the header has no column "${wanted}" (it has ${header.join(', ')})`,
        );
      }
      found[field] = header[at]!;
      continue;
    }
    const at = lower.findIndex((name) => (ORDER_FIELDS[field] as readonly string[]).includes(name));
    if (at !== -1) found[field] = header[at]!;
  }
  const missing = (['orderId', 'customerId', 'timestamp', 'revenue'] as const).filter(
    (field) => found[field] === undefined,
  );
  if (missing.length > 0) {
    throw new Error(
      `the header (${header.join(', ')}) has no column for ${missing.join(', ')}: ` +
        `name them with --map ${missing.map((field) => `${field}=<column>`).join(' ')}`,
    );
  }
  return found as Record<'orderId' | 'customerId' | 'timestamp' | 'revenue', string> &
    Partial<Record<'currency', string>>;
}

/**
 * An order time: an ISO date (midnight UTC), an ISO date-time (UTC unless it has an offset),
 * `YYYY-MM-DD hh:mm[:ss]` (UTC), or `YYYYMMDD` as in the CDNOW log.
 */
export function orderTime(text: string): string | undefined {
  const value = text.trim();
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  const iso = compact
    ? `${compact[1]}-${compact[2]}-${compact[3]}T00:00:00Z`
    : /^\d{4}-\d{2}-\d{2}$/.test(value)
      ? `${value}T00:00:00Z`
      : /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)
        ? `${value.replace(' ', 'T')}Z`
        : value;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The event id of an order: the same order id gives the same event, so a rerun skips it. */
export const orderEventId = (orderId: string) =>
  `order-${createHash('sha256').update(orderId).digest('hex').slice(0, 40)}`;

function rowToEvent(
  line: number,
  row: Record<string, string>,
  columns: ReturnType<typeof columnsOf>,
  currency: string,
): OrderRow {
  const fail = (column: string, message: string): OrderRow => ({ line, column, message });
  const orderId = row[columns.orderId]?.trim() ?? '';
  if (orderId === '') return fail(columns.orderId, 'the order id is empty');
  const customerId = row[columns.customerId]?.trim() ?? '';
  if (customerId === '') return fail(columns.customerId, 'the customer id is empty');
  const rawTime = row[columns.timestamp] ?? '';
  const timestamp = orderTime(rawTime);
  if (timestamp === undefined) {
    return fail(
      columns.timestamp,
      `"${rawTime}" is not a date (YYYY-MM-DD, YYYYMMDD or an ISO-8601 date-time)`,
    );
  }
  const rawRevenue = (row[columns.revenue] ?? '').trim();
  const revenue = Number(rawRevenue);
  if (rawRevenue === '' || !Number.isFinite(revenue) || revenue < 0) {
    return fail(
      columns.revenue,
      `"${rawRevenue}" is not an amount (a number ≥ 0, with a point for decimals)`,
    );
  }
  const rowCurrency = columns.currency === undefined ? '' : (row[columns.currency]?.trim() ?? '');
  return {
    line,
    event: {
      eventId: orderEventId(orderId),
      type: 'purchase',
      customerId,
      timestamp,
      properties: { orderId, revenue, currency: (rowCurrency || currency).toUpperCase() },
    },
  };
}

/**
 * Orders from a CSV with a header line, one order a row, as purchase events. A row that does
 * not parse (a wrong number of fields, an unclosed quote) or holds a bad value is reported
 * by its line and column; the rows after it go on.
 */
export async function* ordersFromCsv(
  input: Readable,
  options: CsvOrderOptions,
): AsyncGenerator<OrderRow> {
  const skipped: OrderRow[] = [];
  const parser = input.pipe(
    parse({
      columns: (header: string[]) => header.map((name) => name.trim()),
      bom: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      info: true,
      on_skip: (error) => {
        if (error) {
          const line = (error as { lines?: number }).lines ?? 0;
          const column = (error as { column?: unknown }).column;
          skipped.push({
            line,
            column:
              typeof column === 'string' || typeof column === 'number' ? String(column) : '(row)',
            message: error.message,
          });
        }
      },
    }),
  );
  let columns: ReturnType<typeof columnsOf> | undefined;
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    // The parser reads ahead: rows it skipped after this one wait for their turn.
    skipped.sort((a, b) => a.line - b.line);
    while (skipped.length > 0 && skipped[0]!.line < info.lines) yield skipped.shift()!;
    if (columns === undefined) {
      columns = columnsOf(Object.keys(record), options.mapping);
      options.onColumns?.(columns);
    }
    yield rowToEvent(info.lines, record, columns, options.currency);
  }
  while (skipped.length > 0) yield skipped.shift()!;
}
