import type { ProfileSegment } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { isoOf } from './profile-key.js';

interface Listing {
  name: string;
  computedAt: string;
}

/**
 * The names and latest evaluation times of the current segments, in memory: there are tens of
 * them, read by every profile. Reloaded at most every few seconds, and at once after a
 * segments run or a change of definitions in this process. A cached profile keeps only what
 * its own membership says (id, since, version); its names and times come from here on every
 * read, so a segments run need not drop the profiles whose membership it did not change.
 */
export class SegmentDirectory {
  private listing: Map<string, Listing> | undefined;
  private loadedAt = 0;
  private loading: Promise<Map<string, Listing>> | undefined;
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 5_000,
  ) {}

  /** Forgets what it knows: definitions changed, or a segments run ended. */
  invalidate(): void {
    this.generation++;
    this.listing = undefined;
  }

  /** The profile's segments with current names and times; deleted or unevaluated ones left out. */
  async describe(segments: readonly ProfileSegment[]): Promise<ProfileSegment[]> {
    if (segments.length === 0) return [];
    const listing = await this.current();
    return segments.flatMap((segment) => {
      const found = listing.get(segment.id);
      return found ? [{ ...segment, name: found.name, computedAt: found.computedAt }] : [];
    });
  }

  private async current(): Promise<Map<string, Listing>> {
    if (this.listing && Date.now() - this.loadedAt < this.ttlMs) return this.listing;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<Map<string, Listing>> {
    const generation = this.generation;
    const rows = await this.store.query<{ segment_id: string; name: string; latest_at: number }>(
      `SELECT d.segment_id AS segment_id, d.name AS name, e.latest_at AS latest_at
       FROM
       (
           SELECT segment_id, argMax(name, version) AS name, argMax(deleted, version) AS deleted
           FROM segment_definitions GROUP BY segment_id
       ) AS d
       INNER JOIN
       (
           SELECT segment_id, toUnixTimestamp64Milli(max(evaluated_at)) AS latest_at
           FROM segment_evaluations GROUP BY segment_id
       ) AS e ON e.segment_id = d.segment_id
       WHERE d.deleted = 0`,
    );
    const listing = new Map(
      rows.map((row) => [
        row.segment_id,
        { name: row.name, computedAt: isoOf(Number(row.latest_at)) },
      ]),
    );
    // An invalidation during the load means it may have read what came before.
    if (generation === this.generation) {
      this.listing = listing;
      this.loadedAt = Date.now();
    }
    return listing;
  }
}
