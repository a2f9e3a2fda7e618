import { createHash } from 'node:crypto';

/** Where a batch of messages sits in the bus's log. */
export interface LogRange {
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
}

/**
 * The insert deduplication token of a block of events: a digest of the event ids it writes,
 * in order. The same rows always get the same token, wherever and however often they were
 * delivered (a Kafka redelivery has other offsets, an in-process retry has none), so a repeat
 * of a block — a retry whose answer was lost, or the block inserted again after a crash — is
 * dropped by `events` and by every view that already holds it, and reaches the views that
 * missed it. Other rows get another token: an insert that writes only what an earlier one did
 * not is never taken for a repeat.
 */
export function dedupTokenOf(insertedIds: readonly string[]): string {
  const digest = createHash('sha256');
  // Length-prefixed, so that no two lists of ids digest the same text.
  for (const id of insertedIds) digest.update(`${id.length}:${id}`);
  return `events-${digest.digest('hex').slice(0, 40)}`;
}
