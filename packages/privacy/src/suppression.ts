import { createHash } from 'node:crypto';
import { profileKey } from '@rapport/profiles';
import type { SegmentChange } from '@rapport/schemas';
import { chunkForUrl, formatDateTime64, insertRowsOf, type Store } from './store-access.js';

/** SHA-256 (hex) of a profile key (`c:<customerId>`, `a:<anonymousId>`): what the list holds. */
export function keyHash(profileKey: string): string {
  return createHash('sha256').update(profileKey).digest('hex');
}

/** Puts the hashes of an erased customer's keys on the suppression list. */
export async function suppressKeys(
  store: Store,
  input: { keys: readonly string[]; erasureId: string; at: number },
): Promise<void> {
  await insertRowsOf(
    store,
    'suppressed_keys',
    input.keys.map((key) => ({
      key_hash: keyHash(key),
      erasure_id: input.erasureId,
      at: formatDateTime64(input.at),
    })),
  );
}

/** The keys among `keys` whose hash is on the suppression list. */
export async function suppressedAmong(store: Store, keys: Iterable<string>): Promise<Set<string>> {
  const byHash = new Map<string, string>();
  for (const key of keys) byHash.set(keyHash(key), key);
  const found = new Set<string>();
  for (const chunk of chunkForUrl([...byHash.keys()])) {
    const rows = await store.query<{ key_hash: string }>(
      'SELECT DISTINCT key_hash FROM suppressed_keys WHERE key_hash IN {hashes:Array(String)}',
      { hashes: chunk },
    );
    for (const row of rows) {
      const key = byHash.get(row.key_hash);
      if (key !== undefined) found.add(key);
    }
  }
  return found;
}

/** What a pipeline needs to tell an event of an erased customer: its keys. */
export interface SuppressibleEvent {
  /** The event's profile key (`c:…` or `a:…`). */
  key: string;
  anonymousId?: string | undefined;
}

/**
 * For one batch of events, which are an erased customer's: the event's key or its anonymous
 * id is on the suppression list. One look-up per batch.
 */
export async function suppressedEvents(
  store: Store,
  events: readonly SuppressibleEvent[],
): Promise<boolean[]> {
  if (events.length === 0) return [];
  const suppressed = await suppressedAmong(store, new Set(events.flatMap(suppressibleKeys)));
  if (suppressed.size === 0) return events.map(() => false);
  return events.map((event) => suppressibleKeys(event).some((key) => suppressed.has(key)));
}

/** The keys that erase an event: its profile key, and its device's. */
export function suppressibleKeys(event: SuppressibleEvent): string[] {
  return event.anonymousId === undefined || event.anonymousId === ''
    ? [event.key]
    : [event.key, `a:${event.anonymousId}`];
}

/** The profile keys a segment change names: its customer's or device's, and its device's. */
export function changeKeys(change: Pick<SegmentChange, 'customerId' | 'anonymousId'>): string[] {
  if (change.customerId === null) return [profileKey({ anonymousId: change.anonymousId ?? '' })];
  const key = profileKey({ customerId: change.customerId });
  return change.anonymousId ? [key, `a:${change.anonymousId}`] : [key];
}

/**
 * For one batch of segment changes, which are an erased customer's: the change's customer id
 * or anonymous id is on the suppression list. What webhooks ask before every attempt.
 */
export async function suppressedChanges(
  store: Store,
  changes: readonly Pick<SegmentChange, 'customerId' | 'anonymousId'>[],
): Promise<boolean[]> {
  if (changes.length === 0) return [];
  const keys = changes.map(changeKeys);
  const suppressed = await suppressedAmong(store, new Set(keys.flat()));
  if (suppressed.size === 0) return changes.map(() => false);
  return keys.map((ofChange) => ofChange.some((key) => suppressed.has(key)));
}
