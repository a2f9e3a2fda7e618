import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger, Metrics } from '@rapport/observability';
import type { BatchHandler, DeadLetter } from '../port.js';
import { createEachBatch } from './each-batch.js';
import { refreshConsumerLag } from './lag.js';

export interface SubscriberOptions {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  groupId: string;
  handler: BatchHandler;
  deadLetter: (letters: DeadLetter[]) => Promise<void>;
  backoffMs: { initial: number; max: number };
  maxWaitTimeMs: number;
  minFetchBytes: number;
  partitionsAtOnce: number;
  sessionTimeoutMs: number;
  lagIntervalMs: number;
  onFatal: (error: Error) => void;
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
}

/**
 * The consumer side: one consumer in the group. The batches of one fetch (one per partition)
 * are handled side by side, so the handler can write them together; each partition has one
 * batch in hand at most, and its offset is committed by hand after that batch is stored
 * (never automatically).
 */
export class KafkaSubscriber {
  private readonly consumer: Consumer;
  private readonly timers = new Set<NodeJS.Timeout>();
  private lagTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Set when consumption stopped on an error retrying cannot cure. */
  failure: Error | undefined;

  constructor(private readonly options: SubscriberOptions) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      maxWaitTimeInMs: options.maxWaitTimeMs,
      minBytes: options.minFetchBytes,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(options.sessionTimeoutMs / 3)),
      allowAutoTopicCreation: false,
      // A crash of the consumer loop itself (not of a batch) restarts it in place; only
      // when kafkajs gives up is it fatal.
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 30_000 },
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.fail(payload.error);
    });
  }

  async start(): Promise<void> {
    const { topic, metrics, admin, groupId } = this.options;
    await this.consumer.connect();
    // A new group starts from the oldest message kept: nothing published before the first
    // pipeline started is skipped.
    await this.consumer.subscribe({ topics: [topic], fromBeginning: true });
    const eachBatch = createEachBatch({
      handler: this.options.handler,
      deadLetter: this.options.deadLetter,
      backoffMs: this.options.backoffMs,
      schedule: (fn, ms) => this.schedule(fn, ms),
      onFatal: (error) => this.fail(error),
      // Without reads from the brokers, the lag as of the batch's fetch. That misses what
      // arrived since, so it would only hide the real figure where the brokers are read.
      ...(this.options.lagIntervalMs > 0
        ? {}
        : {
            onCommitted: ({ partition, offset, highWatermark }) => {
              const lag = BigInt(highWatermark) - BigInt(offset);
              metrics?.busConsumerLag.set(
                { topic, partition: String(partition) },
                Number(lag > 0n ? lag : 0n),
              );
            },
          }),
      logger: this.options.logger,
      metrics,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsAtOnce,
      eachBatch,
    });
    if (metrics && this.options.lagIntervalMs > 0) {
      let reading = false;
      const refresh = () => {
        // One read at a time: while the brokers are slow to answer, ticks are skipped.
        if (reading) return;
        reading = true;
        refreshConsumerLag({ admin, groupId, topic, metrics })
          .catch((error: unknown) =>
            this.options.logger?.debug({ err: error }, 'could not read consumer lag'),
          )
          .finally(() => (reading = false));
      };
      this.lagTimer = setInterval(refresh, this.options.lagIntervalMs);
      this.lagTimer.unref();
      refresh();
    }
  }

  /** Stops fetching, waits for the batch in hand (stored and committed), leaves the group. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.lagTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.consumer.stop();
    await this.consumer.disconnect();
  }

  private schedule(fn: () => void, ms: number) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(timer);
  }

  private fail(error: Error) {
    if (this.failure) return;
    this.failure = error;
    this.options.logger?.fatal(
      { err: error },
      'the consumer stopped on an error retrying cannot cure',
    );
    this.options.onFatal(error);
  }
}
