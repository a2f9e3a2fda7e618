import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BatchWriter, QueueFullError } from './batch-writer.js';
import { StoreError } from './errors.js';

const logger = pino({ level: 'silent' });

function recorder(options: { fail?: (call: number) => Error | undefined } = {}) {
  const batches: number[][] = [];
  const writer = new BatchWriter<number, string>({
    name: 'test',
    maxRows: 5,
    flushIntervalMs: 20,
    maxQueueRows: 12,
    backoffMs: 1,
    logger,
    write: async (items) => {
      await Promise.resolve();
      const error = options.fail?.(batches.length + 1);
      batches.push(items);
      if (error) throw error;
      return items.map((item) => `ok:${item}`);
    },
  });
  return { writer, batches };
}

describe('BatchWriter', () => {
  it('merges concurrent callers into one batch and answers each with its own results', async () => {
    const { writer, batches } = recorder();
    const [a, b] = await Promise.all([writer.add([1, 2]), writer.add([3])]);
    expect(a).toEqual(['ok:1', 'ok:2']);
    expect(b).toEqual(['ok:3']);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('flushes at once when a batch is full, without waiting for the interval', async () => {
    const { writer, batches } = recorder();
    const started = performance.now();
    await writer.add([1, 2, 3, 4, 5]);
    expect(performance.now() - started).toBeLessThan(20);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('never splits one caller across batches and keeps batches within maxRows', async () => {
    const { writer, batches } = recorder();
    await Promise.all([writer.add([1, 2, 3]), writer.add([4, 5, 6]), writer.add([7])]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  it('retries retriable failures and reports success', async () => {
    const { writer, batches } = recorder({
      fail: (call) => (call === 1 ? new StoreError('unavailable', 'down') : undefined),
    });
    await expect(writer.add([1])).resolves.toEqual(['ok:1']);
    expect(batches).toHaveLength(2);
  });

  it('rejects the callers of a batch that cannot be written, and goes on with the next', async () => {
    const { writer } = recorder({
      fail: (call) => (call === 1 ? new StoreError('rejected', 'bad row') : undefined),
    });
    await expect(writer.add([1])).rejects.toThrow(/bad row/);
    await expect(writer.add([2])).resolves.toEqual(['ok:2']);
  });

  it('refuses new items when the queue is full', async () => {
    const { writer } = recorder();
    const first = writer.add([1, 2, 3, 4, 5]); // full: being written
    const second = writer.add([6, 7, 8, 9, 10]); // waits behind it
    const third = writer.add([11, 12, 13, 14, 15, 16, 17, 18]); // 13 would wait: over 12
    await expect(third).rejects.toBeInstanceOf(QueueFullError);
    await Promise.all([first, second]);
  });

  it('writes what waits on close and refuses what comes after', async () => {
    const { writer, batches } = recorder();
    const pending = writer.add([1]);
    await writer.close();
    await expect(pending).resolves.toEqual(['ok:1']);
    expect(batches).toEqual([[1]]);
    await expect(writer.add([2])).rejects.toThrow(/shutting down/);
  });
});
