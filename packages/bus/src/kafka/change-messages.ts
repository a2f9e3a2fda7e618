import type { Message } from 'kafkajs';
import type { SegmentChange } from '@rapport/schemas';

/** The topic of segment changes: one JSON SegmentChange per message, keyed by profile. */
export const SEGMENT_CHANGES_TOPIC = 'rapport.segment-changes.v1';

/** Header names of a change message, so consumers can route without parsing the value. */
export const CHANGE_HEADER = {
  changeId: 'rapport-change-id',
  change: 'rapport-change',
  segmentId: 'rapport-segment-id',
  contentType: 'content-type',
} as const;

/**
 * The partition key of a change: the customer id, else `a:` and the anonymous id, so that all
 * changes of one profile land in one partition and keep their order. A change that names
 * neither has no profile to keep in order and goes to any partition.
 */
export function changeKey(change: SegmentChange): string | null {
  if (change.customerId !== null) return change.customerId;
  if (change.anonymousId !== null) return `a:${change.anonymousId}`;
  return null;
}

export function changeMessage(change: SegmentChange): Message {
  return {
    key: changeKey(change),
    value: JSON.stringify(change),
    headers: {
      [CHANGE_HEADER.changeId]: change.id,
      [CHANGE_HEADER.change]: change.change,
      [CHANGE_HEADER.segmentId]: change.segmentId,
      [CHANGE_HEADER.contentType]: 'application/json',
    },
  };
}

/**
 * Splits messages, in order, into runs of at most `maxBytes` of values (a longer message goes
 * alone), so that a page of thousands of changes does not become one oversized produce request.
 */
export function chunkMessages(messages: readonly Message[], maxBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size =
      typeof message.value === 'string'
        ? Buffer.byteLength(message.value)
        : (message.value?.length ?? 0);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
