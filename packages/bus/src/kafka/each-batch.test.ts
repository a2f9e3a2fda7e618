import { Metrics } from '@rapport/observability';
import { describe, expect, it } from 'vitest';
import { BusUnavailableError, type BatchHandler, type Outcome } from '../port.js';
import { SimulatedLog } from '../testing/simulated-log.js';

const retriable = () => Object.assign(new Error('store unavailable'), { retriable: true });

/** A handler that stores event ids once and refuses values that are not JSON. */
function storingHandler(hooks: { before?: (ids: string[]) => void } = {}) {
  const stored: string[] = [];
  const calls: string[][] = [];
  const handler: BatchHandler = async (batch) => {
    const ids = batch.messages.map((m) => m.value.toString());
    calls.push(ids);
    hooks.before?.(ids);
    return ids.map((id): Outcome => {
      if (id.startsWith('bad')) return { invalid: `cannot decode ${id}` };
      if (stored.includes(id)) return 'duplicate';
      stored.push(id);
      return 'stored';
    });
  };
  return { handler, stored, calls };
}

function fill(log: SimulatedLog, key: string, ids: string[]) {
  for (const id of ids) log.append(key, id);
}

describe('the Kafka consumer step', () => {
  it('commits the end of each batch only after the handler stored it', async () => {
    const log = new SimulatedLog('events', 1);
    fill(log, 'c:a', ['e1', 'e2', 'e3', 'e4', 'e5']);
    const committedDuringHandler: bigint[] = [];
    const { handler, stored } = storingHandler({
      before: () => committedDuringHandler.push(log.committed[0]!),
    });
    await log.consumer({ handler, maxBatch: 2 }).drain();
    expect(stored).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(log.commits).toEqual(['0:2', '0:4', '0:5']);
    // While a batch was being stored, only the batches before it were committed.
    expect(committedDuringHandler).toEqual([0n, 2n, 4n]);
  });

  it('pauses a partition on a retriable failure and delivers the same batch again, uncommitted', async () => {
    const log = new SimulatedLog('events', 1);
    fill(log, 'c:a', ['e1', 'e2']);
    let failures = 0;
    const metrics = new Metrics({ processMetrics: false });
    const { handler, stored, calls } = storingHandler({
      before: () => {
        if (failures++ < 3) throw retriable();
      },
    });
    const consumer = log.consumer({ handler, metrics });
    await consumer.drain();
    expect(calls).toEqual([
      ['e1', 'e2'],
      ['e1', 'e2'],
      ['e1', 'e2'],
      ['e1', 'e2'],
    ]);
    expect(stored).toEqual(['e1', 'e2']);
    expect(log.commits).toEqual(['0:2']);
    expect(consumer.fatal).toBeUndefined();
    expect(consumer.thrown).toEqual([]);
    const retries = await metrics.busConsumeRetries.get();
    expect(retries.values[0]?.value).toBe(3);
  });

  it('keeps the other partitions going while one waits out its pause', async () => {
    const log = new SimulatedLog('events', 2);
    // Find keys on each partition.
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => `c:${k}`);
    const byPartition = new Map<number, string>();
    for (const key of keys) {
      const { partition } = log.append(key, `probe-${key}`);
      byPartition.set(partition, key);
    }
    expect(byPartition.size).toBe(2);
    let failed = false;
    const { handler, stored } = storingHandler({
      before: (ids) => {
        if (!failed && ids.some((id) => id === `probe-${byPartition.get(0)}`)) {
          failed = true;
          throw retriable();
        }
      },
    });
    await log.consumer({ handler, backoffMs: { initial: 30, max: 30 } }).drain();
    expect(stored.sort()).toEqual(keys.map((key) => `probe-${key}`).sort());
    expect(log.lag).toBe(0);
  });

  it('stops for good on an error retrying cannot cure, committing nothing of that batch', async () => {
    const log = new SimulatedLog('events', 1);
    fill(log, 'c:a', ['e1', 'e2', 'e3']);
    let broken = true;
    const { handler, stored } = storingHandler({
      before: (ids) => {
        if (broken && ids.includes('e3')) throw new Error('table is missing');
      },
    });
    const first = log.consumer({ handler, maxBatch: 2 });
    await first.drain();
    expect(first.fatal?.message).toBe('table is missing');
    expect(log.committed[0]).toBe(2n);
    // The supervisor restarts the process: a new member starts at the committed offset.
    broken = false;
    await log.consumer({ handler, maxBatch: 2 }).drain();
    expect(stored).toEqual(['e1', 'e2', 'e3']);
    expect(log.commits).toEqual(['0:2', '0:3']);
  });

  it('dead-letters refused messages with reason and position, then moves on', async () => {
    const log = new SimulatedLog('events', 1);
    fill(log, 'c:a', ['e1', 'bad-1', 'e2']);
    const metrics = new Metrics({ processMetrics: false });
    const { handler, stored } = storingHandler();
    await log.consumer({ handler, metrics }).drain();
    expect(stored).toEqual(['e1', 'e2']);
    expect(log.deadLetters).toEqual([
      expect.objectContaining({
        reason: 'cannot decode bad-1',
        topic: 'events',
        partition: 0,
        offset: '1',
        key: 'c:a',
      }),
    ]);
    expect(log.commits).toEqual(['0:3']);
    expect((await metrics.busDeadLetters.get()).values[0]?.value).toBe(1);
  });

  it('does not commit while the dead-letter topic cannot take the refused messages', async () => {
    const log = new SimulatedLog('events', 1);
    fill(log, 'c:a', ['e1', 'bad-1']);
    log.failNextDeadLetter = new BusUnavailableError('broker down');
    const { handler, stored, calls } = storingHandler();
    await log.consumer({ handler }).drain();
    expect(calls).toHaveLength(2);
    expect(stored).toEqual(['e1']);
    expect(log.deadLetters).toHaveLength(1);
    expect(log.commits).toEqual(['0:2']);
  });

  it('delivers a stored batch again when its commit failed, and the handler finds it stored', async () => {
    const log = new SimulatedLog('events', 1);
    fill(log, 'c:a', ['e1', 'e2']);
    log.failNextCommit = Object.assign(new Error('The group is rebalancing'), {
      type: 'REBALANCE_IN_PROGRESS',
    });
    const outcomes: Outcome[][] = [];
    const { handler: inner, stored } = storingHandler();
    const consumer = log.consumer({
      handler: async (batch) => {
        const answer = await inner(batch);
        outcomes.push(answer);
        return answer;
      },
    });
    await consumer.drain();
    expect(consumer.thrown.map((e) => e.message)).toEqual(['The group is rebalancing']);
    expect(outcomes).toEqual([
      ['stored', 'stored'],
      ['duplicate', 'duplicate'],
    ]);
    expect(stored).toEqual(['e1', 'e2']);
    expect(log.commits).toEqual(['0:2']);
  });

  it('treats a handler that answers for the wrong number of messages as broken', async () => {
    const log = new SimulatedLog('events', 1);
    fill(log, 'c:a', ['e1', 'e2']);
    const consumer = log.consumer({ handler: () => Promise.resolve(['stored']) });
    await consumer.drain();
    expect(consumer.fatal?.message).toMatch(/answered for 1 of 2/);
    expect(log.commits).toEqual([]);
  });

  it('takes no new batch once stopped', async () => {
    const log = new SimulatedLog('events', 1);
    fill(log, 'c:a', ['e1', 'e2']);
    const { handler, calls } = storingHandler();
    const consumer = log.consumer({ handler });
    consumer.stop();
    await consumer.drain();
    expect(calls).toEqual([]);
    expect(log.commits).toEqual([]);
  });
});
