import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger, Metrics } from '@rapport/observability';
import {
  isInvalid,
  isRetriable,
  type BatchHandler,
  type DeadLetter,
  type Delivered,
  type Outcome,
} from '../port.js';
import { decodeHeaders } from './headers.js';
import { backoffDelay } from './options.js';

export interface EachBatchDeps {
  handler: BatchHandler;
  /** Sends refused messages to the dead-letter topic; resolves once the brokers have them. */
  deadLetter: (letters: DeadLetter[]) => Promise<void>;
  backoffMs: { initial: number; max: number };
  /** Runs `fn` after `ms`; the subscriber cancels what is pending when it stops. */
  schedule: (fn: () => void, ms: number) => void;
  /** Called once with an error retrying cannot cure; nothing of that batch is committed. */
  onFatal: (error: Error) => void;
  /** After each commit: the partition's high watermark and the offset committed. */
  onCommitted?: (position: {
    topic: string;
    partition: number;
    offset: string;
    highWatermark: string;
  }) => void;
  /** Heartbeats while the handler works, so a slow insert does not cost the partition. */
  heartbeatMs?: number;
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
}

function delivered(message: KafkaMessage): Delivered {
  return {
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: message.value ?? Buffer.alloc(0),
    headers: decodeHeaders(message.headers),
  };
}

const next = (offset: string) => (BigInt(offset) + 1n).toString();

/**
 * The consumer's step for one batch of one partition, in the order that makes delivery
 * exactly-once in effect:
 *   handler (dedup + insert) → dead-letter the invalid → commit the batch's end.
 * A crash anywhere before the commit redelivers the batch, which the handler's dedup by
 * eventId and insert deduplication token turn into a no-op. A retriable failure pauses the
 * partition and delivers it again after a growing pause, without committing and without
 * restarting the consumer; any other failure stops consumption for good (onFatal).
 */
export function createEachBatch(deps: EachBatchDeps) {
  const failures = new Map<string, number>();
  let failed = false;

  return async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    if (failed) {
      // The process is on its way out; fetch nothing more meanwhile.
      payload.pause();
      return;
    }
    if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
    const messages = batch.messages.map(delivered);
    const where = `${topic}/${partition}`;

    const beat = setInterval(() => {
      payload.heartbeat().catch(() => undefined);
    }, deps.heartbeatMs ?? 3000);
    let outcomes: Outcome[];
    try {
      outcomes = await deps.handler({ topic, partition, messages });
      if (outcomes.length !== messages.length) {
        throw new Error(
          `the handler answered for ${outcomes.length} of ${messages.length} messages`,
        );
      }
      const letters = messages.flatMap((message, index): DeadLetter[] => {
        const outcome = outcomes[index]!;
        return isInvalid(outcome)
          ? [{ reason: outcome.invalid, topic, partition, ...message }]
          : [];
      });
      if (letters.length > 0) {
        await deps.deadLetter(letters);
        deps.metrics?.busDeadLetters.inc({ topic }, letters.length);
        deps.logger?.warn(
          { topic, partition, offsets: letters.map((l) => l.offset), reason: letters[0]!.reason },
          'messages sent to the dead-letter topic',
        );
      }
    } catch (error) {
      if (isRetriable(error)) {
        const attempt = (failures.get(where) ?? 0) + 1;
        failures.set(where, attempt);
        const delay = backoffDelay(deps.backoffMs, attempt);
        deps.metrics?.busConsumeRetries.inc({ topic });
        deps.logger?.warn(
          { err: error, topic, partition, offset: messages[0]!.offset, attempt, delayMs: delay },
          'batch failed; pausing the partition before delivering it again',
        );
        // Nothing is resolved, so after resume the partition is fetched again from the last
        // committed offset.
        deps.schedule(payload.pause(), delay);
        return;
      }
      failed = true;
      payload.pause();
      deps.onFatal(error instanceof Error ? error : new Error(String(error)));
      return;
    } finally {
      clearInterval(beat);
    }

    failures.delete(where);
    const last = batch.lastOffset();
    payload.resolveOffset(last);
    // A commit that fails (the group is rebalancing) is rethrown: kafkajs rejoins, and the
    // partition's next owner gets this batch again, which then changes nothing.
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic, partitions: [{ partition, offset: next(last) }] }],
    });
    deps.onCommitted?.({
      topic,
      partition,
      offset: next(last),
      highWatermark: batch.highWatermark,
    });
  };
}
