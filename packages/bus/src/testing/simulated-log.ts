import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Batch, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { createEachBatch, type EachBatchDeps } from '../kafka/each-batch.js';
import type { BatchHandler, DeadLetter } from '../port.js';

interface Stored {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface SimulatedConsumerOptions {
  handler: BatchHandler;
  /** Messages per fetched batch at most (default 100). */
  maxBatch?: number;
  /** Pause before a failed batch comes again (default 1 … 20 ms, to keep tests quick). */
  backoffMs?: { initial: number; max: number };
  metrics?: EachBatchDeps['metrics'];
}

/**
 * A partitioned log with one consumer group, standing in for a Kafka topic in tests: it drives
 * the Kafka adapter's own per-batch step (createEachBatch) with the payload kafkajs would give
 * it, so commit order, redelivery, pauses and dead letters behave as against a broker — fetches
 * start at the last resolved offset, a new consumer starts at the last committed one.
 */
export class SimulatedLog {
  readonly partitions: Stored[][];
  /** Next offset to read, per partition, as committed by the group. */
  readonly committed: bigint[];
  readonly deadLetters: DeadLetter[] = [];
  /** Every commit in order: `partition:offset`. */
  readonly commits: string[] = [];
  /** The next commit (or dead-letter send) fails with this error, once. */
  failNextCommit: Error | undefined;
  failNextDeadLetter: Error | undefined;

  constructor(
    readonly topic = 'rapport.events.v1',
    partitions = 3,
  ) {
    this.partitions = Array.from({ length: partitions }, () => []);
    this.committed = Array.from({ length: partitions }, () => 0n);
  }

  /** Appends a message to the partition its key hashes to (like Kafka's default partitioner). */
  append(
    key: string | null,
    value: string | Buffer,
    headers: Record<string, string> = {},
  ): { partition: number; offset: string } {
    const partition =
      key === null
        ? 0
        : createHash('sha1').update(key).digest().readUInt32BE(0) % this.partitions.length;
    const log = this.partitions[partition]!;
    log.push({
      key: key === null ? null : Buffer.from(key),
      value: Buffer.from(value),
      headers,
    });
    return { partition, offset: String(log.length - 1) };
  }

  /** Messages not yet committed, over all partitions. */
  get lag(): number {
    return this.partitions.reduce(
      (sum, log, partition) => sum + log.length - Number(this.committed[partition]),
      0,
    );
  }

  /** A new member of the group: it starts at the committed offsets. */
  consumer(options: SimulatedConsumerOptions): SimulatedConsumer {
    return new SimulatedConsumer(this, options);
  }
}

export class SimulatedConsumer {
  /** Set when the per-batch step gave up on an error retrying cannot cure. */
  fatal: Error | undefined;
  /** Errors the step threw (kafkajs would rejoin the group and fetch again). */
  readonly thrown: Error[] = [];
  readonly paused = new Set<number>();
  private readonly resolved: (bigint | undefined)[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = true;
  private readonly eachBatch: (payload: EachBatchPayload) => Promise<void>;

  constructor(
    private readonly log: SimulatedLog,
    private readonly options: SimulatedConsumerOptions,
  ) {
    this.resolved = log.partitions.map(() => undefined);
    this.eachBatch = createEachBatch({
      handler: options.handler,
      backoffMs: options.backoffMs ?? { initial: 1, max: 20 },
      heartbeatMs: 1000,
      metrics: options.metrics,
      schedule: (fn, ms) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          fn();
        }, ms);
        this.timers.add(timer);
      },
      onFatal: (error) => {
        this.fatal = error;
      },
      deadLetter: async (letters) => {
        const failure = log.failNextDeadLetter;
        log.failNextDeadLetter = undefined;
        if (failure) throw failure;
        log.deadLetters.push(...letters);
      },
    });
  }

  /**
   * Fetches and handles batches until every partition is caught up (or the step failed for
   * good, or the consumer was stopped), waiting out paused partitions.
   */
  async drain(timeoutMs = 20_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.running && !this.fatal) {
      let worked = false;
      for (let partition = 0; partition < this.log.partitions.length; partition++) {
        if (!this.running || this.fatal) break;
        if (this.paused.has(partition)) continue;
        const from = this.position(partition);
        const messages = this.log.partitions[partition]!;
        if (from >= BigInt(messages.length)) continue;
        worked = true;
        await this.handle(partition, from);
      }
      if (!worked) {
        if (this.timers.size === 0 && this.paused.size === 0) return;
        await sleep(1);
      }
      if (performance.now() > deadline) throw new Error('the simulated consumer did not drain');
    }
  }

  /** Stops taking batches; a batch in hand finishes first (drain returns after it). */
  stop(): void {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private position(partition: number): bigint {
    return this.resolved[partition] ?? this.log.committed[partition]!;
  }

  private async handle(partition: number, from: bigint): Promise<void> {
    const stored = this.log.partitions[partition]!;
    const end = Math.min(stored.length, Number(from) + (this.options.maxBatch ?? 100));
    const messages: KafkaMessage[] = stored.slice(Number(from), end).map((entry, index) => ({
      key: entry.key,
      value: entry.value,
      headers: entry.headers,
      offset: String(Number(from) + index),
      timestamp: '0',
      attributes: 0,
    }));
    const batch: Batch = {
      topic: this.log.topic,
      partition,
      highWatermark: String(stored.length),
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => messages[0]?.offset ?? null,
      lastOffset: () => messages[messages.length - 1]!.offset,
      offsetLag: () => String(stored.length - end),
      offsetLagLow: () => String(stored.length - Number(from)),
    };
    const payload: EachBatchPayload = {
      batch,
      resolveOffset: (offset) => {
        this.resolved[partition] = BigInt(offset) + 1n;
      },
      heartbeat: () => Promise.resolve(),
      pause: () => {
        this.paused.add(partition);
        return () => this.paused.delete(partition);
      },
      commitOffsetsIfNecessary: async (offsets) => {
        const failure = this.log.failNextCommit;
        this.log.failNextCommit = undefined;
        if (failure) throw failure;
        for (const topic of offsets?.topics ?? []) {
          for (const entry of topic.partitions) {
            this.log.committed[entry.partition] = BigInt(entry.offset);
            this.log.commits.push(`${entry.partition}:${entry.offset}`);
          }
        }
      },
      uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => this.running,
      isStale: () => false,
    };
    try {
      await this.eachBatch(payload);
    } catch (error) {
      // kafkajs rejoins the group: what was resolved but not committed is fetched again.
      this.thrown.push(error as Error);
      this.resolved[partition] = undefined;
    }
  }
}
