import { createHash } from 'node:crypto';

/** Where a batch of messages sits in the bus's log. */
export interface LogRange {
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
}

/** Past this many separate ranges the token is their digest, to keep it short. */
const MAX_LISTED_RANGES = 8;

/**
 * The insert deduplication token of an insert of these events, delivered in these log ranges:
 * `<topic>-<partition>-<firstOffset>-<lastOffset>` for one range (a Kafka batch), ranges
 * joined by `,` when a write merged several (adjacent ones become one), then `~` and a digest
 * of the event ids the insert writes.
 *
 * A repeat of the same insert whose answer was lost — a retry of the write, or a redelivery of
 * the same range — gets the same token and is dropped by ClickHouse, also when the look-up by
 * eventId cannot see the committed rows yet (a lagging replica). The digest is what keeps the
 * token from naming other rows: a topic created again numbers from 0 (same offsets, other
 * events), and a retry that writes only the part of a batch that did not commit (an insert
 * into several partitions can commit some) must not be taken for a repeat, or the
 * materialized views would drop that part. A redelivery with other bounds gets another token;
 * the look-up covers it once the rows are visible.
 * Undefined when any message has no position (then there is nothing stable to name).
 */
export function dedupTokenOf(
  ranges: readonly (LogRange | undefined)[],
  insertedIds: readonly string[],
): string | undefined {
  if (ranges.length === 0 || ranges.some((range) => range === undefined)) return undefined;
  const sorted = [...new Set(ranges as LogRange[])].sort(
    (a, b) =>
      a.topic.localeCompare(b.topic) ||
      a.partition - b.partition ||
      Number(BigInt(a.firstOffset) - BigInt(b.firstOffset) > 0n) -
        Number(BigInt(a.firstOffset) - BigInt(b.firstOffset) < 0n),
  );
  const merged: { topic: string; partition: number; first: bigint; last: bigint }[] = [];
  for (const range of sorted) {
    const first = BigInt(range.firstOffset);
    const last = BigInt(range.lastOffset);
    const previous = merged[merged.length - 1];
    if (
      previous &&
      previous.topic === range.topic &&
      previous.partition === range.partition &&
      first <= previous.last + 1n
    ) {
      if (last > previous.last) previous.last = last;
    } else {
      merged.push({ topic: range.topic, partition: range.partition, first, last });
    }
  }
  const listed = merged.map((r) => `${r.topic}-${r.partition}-${r.first}-${r.last}`).join(',');
  const ids = createHash('sha256').update(insertedIds.join('\n')).digest('hex').slice(0, 16);
  return merged.length <= MAX_LISTED_RANGES
    ? `${listed}~${ids}`
    : `ranges-${createHash('sha256').update(listed).digest('hex')}~${ids}`;
}
