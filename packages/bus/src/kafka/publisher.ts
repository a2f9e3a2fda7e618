import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Metrics } from '@rapport/observability';
import { BusUnavailableError } from '../port.js';
import { publishError } from './errors.js';

interface Pending {
  topic: string;
  messages: Message[];
  bytes: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

const MAX_QUEUED_BYTES = 32 * 1024 * 1024;

const bytesOf = (messages: Message[]) =>
  messages.reduce((sum, message) => sum + (message.value?.length ?? 0), 0);

/**
 * The producer side: acks=all, one produce request in flight at a time so that a retried
 * request cannot overtake a later one (one key's events keep their order). Publishes that
 * arrive while a request is in flight go together in the next one, so throughput grows with
 * load instead of queueing request by request.
 *
 * The queue is bounded: past `maxQueuedBytes` a publish is refused at once (503, retry
 * later), and a publish that timed out before it was sent leaves the queue, so a hanging
 * broker holds no more memory than the bound.
 */
export class KafkaPublisher {
  private producer: Producer;
  private connecting: Promise<void> | undefined;
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private sending = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: {
      timeoutMs: number;
      maxProduceBytes: number;
      /** Value bytes allowed to wait for the broker; a publish beyond it is refused (32 MiB). */
      maxQueuedBytes?: number | undefined;
      metrics?: Metrics | undefined;
    },
  ) {
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      allowAutoTopicCreation: false,
      maxInFlightRequests: 1,
      // A retry of a write the broker took but did not answer in time must not write it again:
      // the broker drops it by producer id and sequence (duplicates were seen under load).
      idempotent: true,
      // A few quick retries inside the client; beyond that the caller hears "not now".
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  /**
   * After a failed send the producer is replaced. The broker may have written a request whose
   * answer was lost, yet the client takes its sequence numbers back and would give them to the
   * next messages: the broker would then take those for a repeat of the lost-answer batch and
   * drop them while acknowledging them. A new producer has a new id and starts its sequence
   * afresh; an event sent again is then in the log twice, which the pipeline's dedup by
   * eventId drops.
   */
  private replaceProducer(): void {
    const failed = this.producer;
    this.producer = this.newProducer();
    this.connecting = undefined;
    failed.disconnect().catch(() => undefined);
  }

  connect(): Promise<void> {
    this.connecting ??= this.producer.connect().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /** Resolves once every in-sync replica has the messages; rejects after the timeout. */
  send(topic: string, messages: Message[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const started = performance.now();
    const observe = (outcome: 'acked' | 'failed') =>
      this.options.metrics?.busProduceSeconds.observe(
        { topic, outcome },
        (performance.now() - started) / 1000,
      );
    const bytes = bytesOf(messages);
    if (
      this.queue.length > 0 &&
      this.queuedBytes + bytes > (this.options.maxQueuedBytes ?? MAX_QUEUED_BYTES)
    ) {
      observe('failed');
      return Promise.reject(
        new BusUnavailableError(
          `Kafka is not taking events fast enough: ${this.queuedBytes} bytes wait to be sent`,
          2,
        ),
      );
    }
    let pending: Pending | undefined;
    const sent = new Promise<void>((resolve, reject) => {
      pending = { topic, messages, bytes, resolve, reject };
      this.queue.push(pending);
      this.queuedBytes += bytes;
      void this.pump();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        // Not sent yet: it leaves the queue (its producer hears 503 and sends it again).
        const index = pending ? this.queue.indexOf(pending) : -1;
        if (index >= 0) {
          this.queue.splice(index, 1);
          this.queuedBytes -= bytes;
        }
        reject(new Error(`not acknowledged within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
    });
    return Promise.race([sent, timeout]).then(
      () => {
        clearTimeout(timer);
        observe('acked');
      },
      (error: unknown) => {
        clearTimeout(timer);
        observe('failed');
        throw publishError(error, topic);
      },
    );
  }

  /** Lets queued publishes go out (for as long as one may take), then disconnects. */
  async disconnect(): Promise<void> {
    const deadline = performance.now() + this.options.timeoutMs;
    while ((this.sending || this.queue.length > 0) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await this.producer.disconnect();
  }

  /** Value bytes waiting to be sent (not those in flight). */
  get waitingBytes(): number {
    return this.queuedBytes;
  }

  private take(): Pending[] {
    const taken: Pending[] = [];
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (taken.length > 0 && bytes + next.bytes > this.options.maxProduceBytes) break;
      taken.push(this.queue.shift()!);
      bytes += next.bytes;
      this.queuedBytes -= next.bytes;
    }
    return taken;
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.take();
        const byTopic = new Map<string, Message[]>();
        for (const pending of batch) {
          const list = byTopic.get(pending.topic) ?? [];
          list.push(...pending.messages);
          byTopic.set(pending.topic, list);
        }
        try {
          await this.connect();
          await this.producer.sendBatch({
            acks: -1,
            timeout: this.options.timeoutMs,
            compression: CompressionTypes.GZIP,
            topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          });
          for (const pending of batch) pending.resolve();
        } catch (error) {
          this.replaceProducer();
          for (const pending of batch) pending.reject(error as Error);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
