import type { Metrics } from '@rapport/observability';
import type { Store } from '@rapport/store';
import { parseProfileKey, profileKey } from './profile-key.js';
import {
  MAX_ANONYMOUS_IDS,
  PROFILE_ROW_CHECK_SQL,
  PROFILE_ROW_READ_SQL,
} from './profile-rows-sql.js';
import type { RowMirror } from './row-mirror.js';
import { atReadOf } from './row-mirror-fill.js';
import { columnsOf, storedRowOf, type RowColumns, type StoredRow } from './stored-row.js';

/** What a read of the rows asks of their upkeep (ProfileRows), as it is at that moment. */
export interface RowUpkeep {
  /** Whether the rows (and the mirror) hold every profile but for keys known behind. */
  trusted(): boolean;
  /** Whether this key is known behind: touched, found behind or being rewritten. */
  isBehind(key: string): boolean;
  /** Whether the mirror's memberships of this profile are current (not changed nor being read). */
  segmentsCurrent(key: string): boolean;
  /** The row of `key` was missing or found behind: counted, and rewritten if behind. */
  missed(key: string, result: 'missing' | 'behind'): undefined;
}

const anonymousKey = (anonymousId: string) => profileKey({ anonymousId });

/**
 * The read side of `profile_rows` (see ProfileRows): a row from the mirror when the rows are
 * trusted and it is not known behind, else from the store, checked against the profile's
 * aggregates and link history as they are now unless known current.
 */
export class RowReads {
  constructor(
    private readonly store: Store,
    private readonly deps: { metrics?: Metrics; mirror?: RowMirror },
    private readonly upkeep: RowUpkeep,
  ) {}

  /**
   * The row of `key` when it is current, else undefined (and it is rewritten soon).
   * `now` and `lapsedMs` stage the lifecycle at the time of the read.
   */
  async read(key: string, at: { now: number; lapsedMs: number }): Promise<StoredRow | undefined> {
    const mirrored = this.upkeep.trusted() ? this.deps.mirror?.get(key) : undefined;
    if (mirrored) {
      const columns = columnsOf(mirrored.payload, atReadOf(mirrored, at));
      if (this.knownCurrent(key, columns)) {
        this.deps.metrics?.profileRowReads.inc({ result: 'mirrored' });
        const segmentsCurrent = mirrored.segments !== undefined && this.upkeep.segmentsCurrent(key);
        return {
          ...storedRowOf(columns),
          ...(segmentsCurrent ? { segments: mirrored.segments } : {}),
        };
      }
    }
    const [found] = await this.store.query<Record<string, unknown> & { payload: string }>(
      PROFILE_ROW_READ_SQL,
      { profileKey: key, now: at.now, lapsedMs: at.lapsedMs },
    );
    if (!found) return this.upkeep.missed(key, 'missing');
    const { payload, ...atRead } = found;
    const columns = columnsOf(payload, atRead);
    if (this.knownCurrent(key, columns)) {
      this.deps.metrics?.profileRowReads.inc({ result: 'current' });
      return storedRowOf(columns);
    }
    const anonymousIds = columns.anonymous_ids;
    const { customerId } = parseProfileKey(key);
    const keys = [key, ...(customerId === null ? [] : anonymousIds.map(anonymousKey))];
    const customer = customerId !== null;
    const parts = await this.store.query<{ part: string; n: unknown; last_ms: unknown }>(
      PROFILE_ROW_CHECK_SQL,
      // A visitor's link history is not its own: it was read (ownerOf) before its row.
      {
        keys,
        ids: customer ? anonymousIds : [],
        customerIds: customer ? [customerId] : [],
      },
    );
    const count = (name: string) => Number(parts.find((part) => part.part === name)?.n ?? 0);
    const stats = parts.find((part) => part.part === 'stats');
    // A device linked to the customer after the row's rewrite read its links is in no list
    // of the row, nor are its events: only the customer's link rows show it.
    const current =
      Number(stats?.n) === columns.events &&
      Number(stats?.last_ms) === columns.last_received_ms &&
      count('links') === columns.links &&
      (!customer || count('customer_links') === columns.customer_links);
    if (!current) return this.upkeep.missed(key, 'behind');
    this.deps.metrics?.profileRowReads.inc({ result: 'current' });
    return storedRowOf(columns);
  }

  /**
   * Whether a row can be served unchecked: the rows are trusted and neither the key nor any of
   * its anonymous ids is known behind (a row listing the most ids may list fewer than the
   * profile has: always checked).
   */
  private knownCurrent(key: string, columns: RowColumns): boolean {
    if (!this.upkeep.trusted()) return false;
    const ids = columns.anonymous_ids;
    if (ids.length >= MAX_ANONYMOUS_IDS || this.upkeep.isBehind(key)) return false;
    const { customerId } = parseProfileKey(key);
    return customerId === null || !ids.some((id) => this.upkeep.isBehind(anonymousKey(id)));
  }
}
