import type { SegmentChange } from '@rapport/schemas';
import {
  changeKeys,
  keyHash,
  suppressedChanges,
  suppressedEvents,
  suppressibleKeys,
  type SuppressibleEvent,
} from './suppression.js';
import type { Store } from './store-access.js';

/** Hashes held in memory at most; past that every check asks the store. */
const MAX_HASHES = 100_000;

/**
 * The suppression list held in memory, for a process that runs every erasure of its store
 * (the embedded engine): webhook deliveries ask it before every attempt and the pipeline for
 * every batch of events, and with an empty or unchanged list that is an answer from memory
 * rather than queries (15–25 ms each under load; a batch of thousands of events took several).
 * `changed()` must be called once an erasure has put keys on the list (ErasureService's
 * `onSuppressed`): every check that starts after it reads the list again, so an erasure that
 * has begun is never missed. A process whose store another process erases in must not use it.
 */
export class SuppressionMemo {
  private hashes: Promise<Set<string> | undefined> | undefined;

  constructor(
    private readonly store: Store,
    private readonly maxHashes = MAX_HASHES,
  ) {}

  /** Keys were put on the list: the next check reads it again. */
  changed(): void {
    this.hashes = undefined;
  }

  /** Which changes are an erased customer's (suppressedChanges, answered from memory). */
  async suppressedChanges(
    changes: readonly Pick<SegmentChange, 'customerId' | 'anonymousId'>[],
  ): Promise<boolean[]> {
    const hashes = await this.list();
    if (hashes === undefined) return suppressedChanges(this.store, changes);
    if (hashes.size === 0) return changes.map(() => false);
    return changes.map((change) => changeKeys(change).some((key) => hashes.has(keyHash(key))));
  }

  /** Which events are an erased customer's (suppressedEvents, answered from memory). */
  async suppressedEvents(events: readonly SuppressibleEvent[]): Promise<boolean[]> {
    const hashes = await this.list();
    if (hashes === undefined) return suppressedEvents(this.store, events);
    if (hashes.size === 0) return events.map(() => false);
    return events.map((event) => suppressibleKeys(event).some((key) => hashes.has(keyHash(key))));
  }

  /** The whole list, or undefined when it is too long to hold. A failed read is not kept. */
  private list(): Promise<Set<string> | undefined> {
    if (this.hashes === undefined) {
      const reading = this.store
        .query<{ key_hash: string }>(
          'SELECT DISTINCT key_hash FROM suppressed_keys LIMIT {limit:UInt32}',
          { limit: this.maxHashes + 1 },
        )
        .then((rows) =>
          rows.length > this.maxHashes ? undefined : new Set(rows.map((row) => row.key_hash)),
        );
      this.hashes = reading;
      reading.catch(() => {
        if (this.hashes === reading) this.hashes = undefined;
      });
    }
    return this.hashes;
  }
}
