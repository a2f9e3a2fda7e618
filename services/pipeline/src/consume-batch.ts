import type { BatchHandler, BusMessage, Outcome } from '@rapport/bus';
import type { EventSink } from './event-sink.js';
import { createDecodeEventStep } from './steps/decode-event-step.js';

/**
 * The pipeline's handler for one delivered batch: decode and validate each message (the
 * invalid are answered `invalid` with the reason, for the dead-letter queue), then dedup and
 * insert the rest as one write named by the batch's log range.
 */
export function createConsumeBatch(deps: { sink: EventSink }): BatchHandler {
  const decode = createDecodeEventStep();
  return async function consumeBatch(batch) {
    const outcomes: Outcome[] = [];
    const valid: BusMessage[] = [];
    const positions: number[] = [];
    batch.messages.forEach((delivered, index) => {
      const result = decode(delivered);
      if (result.ok) {
        valid.push(result.value);
        positions.push(index);
        outcomes.push('stored');
      } else {
        outcomes.push({ invalid: result.reason });
      }
    });
    if (valid.length === 0) return outcomes;
    const deliveries = await deps.sink.write(valid, {
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: batch.messages[0]!.offset,
      lastOffset: batch.messages[batch.messages.length - 1]!.offset,
    });
    deliveries.forEach((delivery, index) => {
      outcomes[positions[index]!] = delivery;
    });
    return outcomes;
  };
}
