import type { QueryParams, Store } from '@rapport/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWriteEventsStep } from './event-sink.js';
import { openTestStore } from './testing/embedded-store.js';
import { messageOf, storedEvent } from './testing/stored-events.js';

let store: Store;
let dispose: () => Promise<void>;

beforeAll(async () => {
  ({ store, dispose } = await openTestStore());
});
afterAll(() => dispose());

/** A server's default http_max_field_value_size: a URL field longer than this is refused. */
const SERVER_URL_FIELD_LIMIT = 128 * 1024;

/** The store, recording the URL-encoded size of the largest bound parameter of each query. */
function measuring(inner: Store) {
  const sizes: number[] = [];
  const measured: Store = Object.create(inner) as Store;
  measured.query = <T>(sql: string, params?: QueryParams, lane?: Parameters<Store['query']>[2]) => {
    const largest = Object.values(params ?? {}).map(
      (value) => encodeURIComponent(JSON.stringify(value)).length,
    );
    sizes.push(Math.max(0, ...largest));
    return inner.query<T>(sql, params, lane);
  };
  return { measured, sizes };
}

describe('the dedup look-up of a large batch', () => {
  it('sends 50,000 event ids in queries that each fit a server’s URL limit, and finds the stored ones', async () => {
    const { measured, sizes } = measuring(store);
    const write = createWriteEventsStep({ store: measured });
    const messages = Array.from({ length: 50_000 }, (_, i) =>
      messageOf(
        storedEvent(`large-batch-${String(i).padStart(40, '0')}`, { customerId: `c-${i % 100}` }),
      ),
    );
    expect(await write(messages.slice(0, 1000))).toEqual(Array(1000).fill('stored'));
    sizes.length = 0;
    const outcomes = await write(messages);
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(1000);
    expect(outcomes.filter((outcome) => outcome === 'stored')).toHaveLength(49_000);
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThan(SERVER_URL_FIELD_LIMIT);
    await write.settle();
  });
});
