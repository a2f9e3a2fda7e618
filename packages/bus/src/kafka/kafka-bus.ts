import type { Admin, Kafka } from 'kafkajs';
import {
  BusUnavailableError,
  type BatchHandler,
  type BusMessage,
  type EventBus,
  type PublishResult,
} from '../port.js';
import { createKafka } from './client.js';
import { createDeadLetterSender } from './dead-letters.js';
import { publishError } from './errors.js';
import { eventHeaders } from './headers.js';
import { resolveOptions, type KafkaBusOptions, type ResolvedKafkaBusOptions } from './options.js';
import { KafkaPublisher } from './publisher.js';
import { KafkaSubscriber } from './subscriber.js';
import { ensureTopics } from './topics.js';
import { withTimeout } from './with-timeout.js';

/** How long a health answer is reused, so that probes do not hammer the brokers. */
const HEALTH_TTL_MS = 1000;

/**
 * The EventBus on Kafka. publish() resolves once every in-sync replica has the events
 * (acks=all); it carries no outcomes, since the pipeline stores them later. subscribe() joins
 * the consumer group and hands the handler the batches of one fetch side by side, at most one
 * per partition, committing each partition's offset only after the handler resolved for its
 * batch. Topics are created when missing.
 */
export class KafkaBus implements EventBus {
  readonly kind = 'kafka';
  readonly options: ResolvedKafkaBusOptions;
  private readonly kafka: Kafka;
  private readonly quick: Kafka;
  private readonly admin: Admin;
  private healthAdmin: Admin | undefined;
  private publisherInstance: KafkaPublisher | undefined;
  private subscriber: KafkaSubscriber | undefined;
  private preparing: Promise<void> | undefined;
  private health: { at: number; error: Error | undefined } | undefined;
  private closed = false;

  constructor(options: KafkaBusOptions) {
    this.options = resolveOptions(options);
    this.kafka = createKafka(this.options);
    this.quick = createKafka(this.options, true);
    this.admin = this.kafka.admin();
  }

  /** Connects, creates missing topics and the producer; publish and subscribe call it too. */
  async start(): Promise<void> {
    await this.prepare();
    await this.publisher.connect();
  }

  async publish(messages: BusMessage[]): Promise<PublishResult> {
    if (this.closed) throw new BusUnavailableError('the bus is shutting down');
    if (messages.length === 0) return {};
    try {
      await withTimeout(this.prepare(), this.options.publishTimeoutMs, 'connecting to Kafka');
    } catch (error) {
      throw publishError(error, this.options.topic);
    }
    await this.publisher.send(
      this.options.topic,
      messages.map((message) => ({
        key: message.key,
        value: message.value,
        headers: eventHeaders(message),
      })),
    );
    return {};
  }

  async subscribe(handler: BatchHandler): Promise<void> {
    if (this.closed) throw new BusUnavailableError('the bus is shutting down');
    if (this.subscriber) throw new Error('this Kafka bus has a subscriber already');
    await this.prepare();
    const { options } = this;
    this.subscriber = new KafkaSubscriber({
      kafka: this.kafka,
      admin: this.admin,
      topic: options.topic,
      groupId: options.groupId,
      handler,
      deadLetter: createDeadLetterSender(this.publisher, options.deadLetterTopic),
      backoffMs: options.retryBackoffMs,
      maxWaitTimeMs: options.maxWaitTimeMs,
      minFetchBytes: options.minFetchBytes,
      partitionsAtOnce: options.partitionsAtOnce,
      sessionTimeoutMs: options.sessionTimeoutMs,
      lagIntervalMs: options.lagIntervalMs,
      onFatal: (error) => options.onFatal?.(error),
      logger: options.logger,
      metrics: options.metrics,
    });
    await this.subscriber.start();
  }

  /** Resolves when the brokers answer and the consumer (if any) still runs; else rejects with why. */
  async check(): Promise<void> {
    if (this.closed) throw new Error('the bus is shutting down');
    const failure = this.subscriber?.failure;
    if (failure) throw new Error(`the consumer stopped: ${failure.message}`);
    const now = performance.now();
    if (!this.health || now - this.health.at > HEALTH_TTL_MS) {
      this.health = { at: now, error: await this.probe() };
    }
    if (this.health.error) throw this.health.error;
  }

  async ready(): Promise<boolean> {
    try {
      await this.check();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.subscriber?.stop();
    await this.publisherInstance?.disconnect();
    await Promise.allSettled([this.admin.disconnect(), this.healthAdmin?.disconnect()]);
  }

  private get publisher(): KafkaPublisher {
    this.publisherInstance ??= new KafkaPublisher(this.kafka, {
      timeoutMs: this.options.publishTimeoutMs,
      maxProduceBytes: this.options.maxProduceBytes,
      maxQueuedBytes: this.options.maxQueuedBytes,
      metrics: this.options.metrics,
    });
    return this.publisherInstance;
  }

  private prepare(): Promise<void> {
    this.preparing ??= (async () => {
      const { topic, deadLetterTopic, partitions, replicationFactor, logger } = this.options;
      await this.admin.connect();
      const created = await ensureTopics(this.admin, [
        { topic, partitions, replicationFactor },
        { topic: deadLetterTopic, partitions, replicationFactor },
      ]);
      if (created.length > 0) logger?.info({ topics: created, partitions }, 'Kafka topics created');
    })().catch((error: unknown) => {
      this.preparing = undefined;
      throw error;
    });
    return this.preparing;
  }

  private async probe(): Promise<Error | undefined> {
    try {
      this.healthAdmin ??= this.quick.admin();
      await this.healthAdmin.connect();
      const { brokers } = await this.healthAdmin.describeCluster();
      if (brokers.length === 0) return new Error('no Kafka broker is available');
      return undefined;
    } catch (error) {
      const admin = this.healthAdmin;
      this.healthAdmin = undefined;
      await admin?.disconnect().catch(() => undefined);
      return new Error(
        `Kafka brokers ${this.options.brokers.join(',')} cannot be reached: ${(error as Error).message}`,
      );
    }
  }
}
