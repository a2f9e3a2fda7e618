import type { Metrics } from '@rapport/observability';
import type { Profile } from '@rapport/schemas';
import { LRUCache } from 'lru-cache';
import { parseProfileKey } from './profile-key.js';

interface Loading {
  stale: boolean;
  result: Promise<Profile | undefined>;
}

const HIT = { result: 'hit' } as const;

interface Entry {
  profile: Profile;
  bytes: number;
}

/**
 * Profiles in memory, bounded in bytes, least recently used out first. The pipeline tells it
 * which customer keys each committed batch touched; those profiles are dropped before the
 * batch is acknowledged, so a read after a 2xx write never sees the profile from before it.
 */
export class ProfileCache {
  private readonly entries: LRUCache<string, Entry>;
  /** anonymous id → customer id, for the cached profiles it belongs to. */
  private readonly owners = new Map<string, string>();
  /** Loads under way; an invalidation during one keeps its result out of the cache. */
  private readonly loading = new Map<string, Loading>();
  hits = 0;
  misses = 0;
  private readonly metrics: Metrics | undefined;

  constructor(options: { maxBytes: number; metrics?: Metrics }) {
    this.metrics = options.metrics;
    options.metrics?.profileCacheEntries.set(0);
    this.entries = new LRUCache<string, Entry>({
      maxSize: Math.max(1, options.maxBytes),
      sizeCalculation: (entry) => entry.bytes,
      dispose: (entry, customerId) => {
        for (const anonymousId of entry.profile.anonymousIds) {
          if (this.owners.get(anonymousId) === customerId) this.owners.delete(anonymousId);
        }
      },
    });
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached profile, counted as a hit; undefined, counted as nothing, when it is not cached
   * (the caller then loads it, and the load counts the miss).
   */
  hit(customerId: string): Profile | undefined {
    const entry = this.entries.get(customerId);
    if (entry === undefined) return undefined;
    this.hits++;
    this.metrics?.profileCacheLookups.inc(HIT);
    return entry.profile;
  }

  get(customerId: string): Profile | undefined {
    const entry = this.entries.get(customerId);
    if (entry) this.hits++;
    else this.misses++;
    this.metrics?.profileCacheLookups.inc({ result: entry ? 'hit' : 'miss' });
    return entry?.profile;
  }

  /** Loads a profile through the cache: concurrent loads of one customer share one read. */
  async load(customerId: string, read: () => Promise<Profile | undefined>) {
    const cached = this.get(customerId);
    if (cached) return cached;
    const current = this.loading.get(customerId);
    if (current && !current.stale) return current.result;
    const ticket: Loading = { stale: false, result: read() };
    this.loading.set(customerId, ticket);
    try {
      const profile = await ticket.result;
      if (profile && !ticket.stale) this.set(customerId, profile);
      return profile;
    } finally {
      if (this.loading.get(customerId) === ticket) this.loading.delete(customerId);
    }
  }

  private set(customerId: string, profile: Profile) {
    // Frozen: a cached profile is answered as it is, and its serialized form can be kept.
    freezeDeep(profile);
    // Rough size: two bytes a character of the JSON, plus bookkeeping.
    const bytes = 2 * JSON.stringify(profile).length + 200;
    this.entries.set(customerId, { profile, bytes });
    for (const anonymousId of profile.anonymousIds) this.owners.set(anonymousId, customerId);
    this.metrics?.profileCacheEntries.set(this.entries.size);
  }

  /** Drops the profiles these keys (`c:<id>`, `a:<id>`, as events are stored under) belong to. */
  invalidate(keys: Iterable<string>): string[] {
    const dropped: string[] = [];
    let unknownAnonymous = false;
    for (const key of keys) {
      const ids = parseProfileKey(key);
      const customerId = ids.customerId ?? this.owners.get(ids.anonymousId ?? '');
      if (customerId === undefined) {
        unknownAnonymous = true;
        continue;
      }
      if (this.entries.delete(customerId)) dropped.push(customerId);
      const ticket = this.loading.get(customerId);
      if (ticket) ticket.stale = true;
    }
    // An anonymous id we cannot place may belong to a profile being loaded right now.
    if (unknownAnonymous) for (const ticket of this.loading.values()) ticket.stale = true;
    this.metrics?.profileCacheEntries.set(this.entries.size);
    return dropped;
  }

  clear(): void {
    this.entries.clear();
    this.owners.clear();
  }
}

/** Freezes a value and everything reachable from it. */
function freezeDeep(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) freezeDeep(child);
}
