import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ordersFromCsv, orderEventId, orderTime, type OrderRow } from './csv-orders.js';

async function rows(csv: string, mapping = {}): Promise<OrderRow[]> {
  const out: OrderRow[] = [];
  for await (const row of ordersFromCsv(Readable.from([csv]), { mapping, currency: 'EUR' })) {
    out.push(row);
  }
  return out;
}

describe('orders from CSV', () => {
  it('reads orders by the default column names, and names the line and column of bad rows', async () => {
    const csv = [
      'order_id,customer_id,date,amount',
      'o-1,c-1,1997-01-12,29.5',
      'o-2,c-1,19970303,"12,50"',
      'o-3,c-2,last tuesday,10',
      'o-4,c-2,1997-04-01',
      'o-5,c-3,1997-05-01 10:30,7',
    ].join('\n');
    expect(await rows(csv)).toEqual([
      {
        line: 2,
        event: {
          eventId: orderEventId('o-1'),
          type: 'purchase',
          customerId: 'c-1',
          timestamp: '1997-01-12T00:00:00.000Z',
          properties: { orderId: 'o-1', revenue: 29.5, currency: 'EUR' },
        },
      },
      { line: 3, column: 'amount', message: expect.stringMatching(/"12,50" is not an amount/) },
      { line: 4, column: 'date', message: expect.stringMatching(/"last tuesday" is not a date/) },
      {
        line: 5,
        column: expect.any(String),
        message: expect.stringMatching(/record|fields|columns/i),
      },
      {
        line: 6,
        event: expect.objectContaining({ timestamp: '1997-05-01T10:30:00.000Z' }),
      },
    ]);
  });

  it('takes the columns named with --map and says which are missing', async () => {
    const csv = 'Invoice;Who;When;Total;Cur\n';
    await expect(rows(`${csv.replaceAll(';', ',')}9,w,2001-02-03,5,gbp\n`)).rejects.toThrow(
      /no column for customerId, timestamp: name them with --map customerId=<column> timestamp=<column>/,
    );
    const mapped = await rows(`${csv.replaceAll(';', ',')}9,w,2001-02-03,5,gbp\n`, {
      customerId: 'Who',
      timestamp: 'When',
      revenue: 'Total',
      currency: 'Cur',
    });
    expect(mapped).toEqual([
      {
        line: 2,
        event: expect.objectContaining({
          customerId: 'w',
          properties: { orderId: '9', revenue: 5, currency: 'GBP' },
        }),
      },
    ]);
  });

  it('reads the times history files hold', () => {
    expect(orderTime('19970101')).toBe('1997-01-01T00:00:00.000Z');
    expect(orderTime('2024-02-29T23:00:00+02:00')).toBe('2024-02-29T21:00:00.000Z');
    expect(orderTime('2024-13-01')).toBeUndefined();
    expect(orderTime('01/02/2024')).toBeUndefined();
  });
});
