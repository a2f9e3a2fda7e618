import type { Kafka } from 'kafkajs';
import type { SegmentChange } from '@rapport/schemas';
import type { ChangeSink } from '../change-sink.js';
import { BusUnavailableError } from '../port.js';
import { changeMessage, chunkMessages, SEGMENT_CHANGES_TOPIC } from './change-messages.js';
import { createKafka } from './client.js';
import { publishError } from './errors.js';
import { resolveOptions, type KafkaBusOptions, type ResolvedKafkaBusOptions } from './options.js';
import { KafkaPublisher } from './publisher.js';
import { ensureTopics } from './topics.js';
import { withTimeout } from './with-timeout.js';

export type KafkaChangeFeedOptions = Pick<
  KafkaBusOptions,
  | 'brokers'
  | 'clientId'
  | 'ssl'
  | 'sasl'
  | 'partitions'
  | 'replicationFactor'
  | 'logger'
  | 'metrics'
  | 'maxProduceBytes'
> & {
  /** The topic (default rapport.segment-changes.v1); created when missing. */
  topic?: string;
  /**
   * A publish not acknowledged by then rejects with BusUnavailableError (default 30,000 ms:
   * a job publishes pages of thousands of changes and nobody waits on an HTTP answer).
   */
  publishTimeoutMs?: number;
};

/**
 * Segment changes on Kafka, for consumers in other processes: one message per change, keyed
 * by profile (see changeKey), the change's JSON as value. publish() resolves once every
 * in-sync replica has the page (acks=all); the producer keeps one request in flight, so the
 * pages of one feed keep their order.
 */
export class KafkaChangeFeed implements ChangeSink {
  readonly name = 'kafka';
  readonly options: ResolvedKafkaBusOptions;
  private readonly kafka: Kafka;
  private publisherInstance: KafkaPublisher | undefined;
  private preparing: Promise<void> | undefined;
  private closed = false;

  constructor(options: KafkaChangeFeedOptions) {
    const { topic = SEGMENT_CHANGES_TOPIC, publishTimeoutMs = 30_000, ...rest } = options;
    this.options = resolveOptions({ ...rest, topic, publishTimeoutMs });
    this.kafka = createKafka(this.options);
  }

  get topic(): string {
    return this.options.topic;
  }

  /** Connects and creates the topic when missing; publish() does it too when needed. */
  async start(): Promise<void> {
    await this.prepare();
    await this.publisher.connect();
  }

  async publish(changes: readonly SegmentChange[]): Promise<void> {
    if (this.closed) throw new BusUnavailableError('the change feed is shutting down');
    if (changes.length === 0) return;
    const { topic, publishTimeoutMs, maxProduceBytes } = this.options;
    try {
      await withTimeout(this.prepare(), publishTimeoutMs, 'connecting to Kafka');
    } catch (error) {
      throw publishError(error, topic);
    }
    // Handed to the publisher together and in order: it sends them one request at a time.
    const chunks = chunkMessages(changes.map(changeMessage), maxProduceBytes);
    const sent = await Promise.allSettled(
      chunks.map((messages) => this.publisher.send(topic, messages)),
    );
    const failed = sent.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Lets the pages being sent finish (within the publish timeout), then disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.publisherInstance?.disconnect();
  }

  private get publisher(): KafkaPublisher {
    this.publisherInstance ??= new KafkaPublisher(this.kafka, {
      timeoutMs: this.options.publishTimeoutMs,
      maxProduceBytes: this.options.maxProduceBytes,
      metrics: this.options.metrics,
    });
    return this.publisherInstance;
  }

  private prepare(): Promise<void> {
    this.preparing ??= (async () => {
      const { topic, partitions, replicationFactor, logger } = this.options;
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const created = await ensureTopics(admin, [{ topic, partitions, replicationFactor }]);
        if (created.length > 0)
          logger?.info({ topics: created, partitions }, 'Kafka topics created');
      } finally {
        await admin.disconnect();
      }
    })().catch((error: unknown) => {
      this.preparing = undefined;
      throw error;
    });
    return this.preparing;
  }
}
