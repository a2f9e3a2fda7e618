import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BatchWriter, QueueFullError, isRowError } from './batch-writer.js';
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

  describe('a row the store refuses', () => {
    // What the embedded engine throws for a Decimal past its column's range.
    const overflow = () =>
      new StoreError('rejected', 'insert into test failed: Code: 69. DB::Exception: too big', {
        cause: Object.assign(new Error('Code: 69.'), { code: 'CHDB_INSERT', clickhouseCode: 69 }),
      });

    function splitting(bad: Set<number>, failure = overflow) {
      const writes: number[][] = [];
      const writer = new BatchWriter<number, string>({
        name: 'test',
        maxRows: 100,
        flushIntervalMs: 5,
        maxQueueRows: 1000,
        logger,
        write: async (items) => {
          await Promise.resolve();
          writes.push(items);
          if (items.some((item) => bad.has(item))) throw failure();
          return items.map((item) => `ok:${item}`);
        },
        rejectItem: (item, error) => `rejected:${item}:${error.code}`,
      });
      return { writer, writes };
    }

    it('fails only that row: the other callers of its batch are written', async () => {
      const { writer, writes } = splitting(new Set([7]));
      const callers = Array.from({ length: 10 }, (_, caller) =>
        writer.add([caller * 2, caller * 2 + 1]),
      );
      const answers = await Promise.all(callers);
      expect(answers.flat()).toEqual(
        Array.from({ length: 20 }, (_, item) =>
          item === 7 ? 'rejected:7:rejected' : `ok:${item}`,
        ),
      );
      const written = writes.filter((items) => !items.includes(7)).flat();
      expect(written.sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, item) => item).filter((item) => item !== 7),
      );
      expect(writes.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(20)) + 1);
    });

    it('finds several bad rows and keeps the order of the others', async () => {
      const { writer, writes } = splitting(new Set([0, 5, 9]));
      const answer = await writer.add([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(answer.filter((result) => result.startsWith('rejected'))).toEqual([
        'rejected:0:rejected',
        'rejected:5:rejected',
        'rejected:9:rejected',
      ]);
      const committed = writes.filter((items) => !items.some((i) => [0, 5, 9].includes(i)));
      expect(committed.flat()).toEqual([1, 2, 3, 4, 6, 7, 8]);
    });

    it('fails the whole batch for errors that are not about the data', async () => {
      const { writer, writes } = splitting(
        new Set([1]),
        () => new StoreError('rejected', 'Code: 60. DB::Exception: Table test does not exist'),
      );
      await expect(writer.add([0, 1, 2])).rejects.toThrow(/does not exist/);
      expect(writes).toHaveLength(1);
    });

    it('tells data errors from the others, from the embedded and the HTTP client', () => {
      expect(isRowError(overflow())).toBe(true);
      const http = new StoreError('rejected', 'x', {
        cause: Object.assign(new Error('Cannot parse'), { code: '25' }),
      });
      expect(isRowError(http)).toBe(true);
      expect(isRowError(new StoreError('rejected', 'Code: 60. no table'))).toBe(false);
      expect(isRowError(new StoreError('timeout', 'Code: 69. but a timeout'))).toBe(false);
    });
  });
});
