import { isoOf, type ProfileSegment } from '@rapport/schemas';
import type { ProfileSegments } from '@rapport/profiles';
import type { Store } from '@rapport/store';
import { readNewestDefinitions } from './definitions.js';
import { readLatestEvaluations } from './evaluations.js';

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
export class SegmentDirectory implements ProfileSegments {
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

  /**
   * The segments a profile is in: its open membership intervals (a primary-key read: the table
   * is ordered by profile key), named and timed, deleted ones left out, in id order.
   */
  async ofProfile(profileKey: string): Promise<ProfileSegment[]> {
    const open = await this.openMemberships([profileKey]);
    return this.describe(open.get(profileKey) ?? []);
  }

  /**
   * The open memberships of each of these profiles as stored, in segment id order (names and
   * evaluation times blank: `describe` fills them in when they are shown).
   */
  async openMemberships(profileKeys: readonly string[]): Promise<Map<string, ProfileSegment[]>> {
    const open = await this.store.query<{
      profile_key: string;
      segment_id: string;
      since: number;
      entered_version: number;
    }>(
      `SELECT profile_key, segment_id, toUnixTimestamp64Milli(min(entered_at)) AS since,
              argMin(version, entered_at) AS entered_version
       FROM segment_membership FINAL
       WHERE profile_key IN {profileKeys:Array(String)} AND exited_at IS NULL
       GROUP BY profile_key, segment_id
       ORDER BY profile_key, segment_id`,
      { profileKeys },
    );
    const memberships = new Map<string, ProfileSegment[]>();
    for (const row of open) {
      const list = memberships.get(row.profile_key) ?? [];
      list.push({
        id: row.segment_id,
        name: '',
        since: isoOf(Number(row.since)),
        version: Number(row.entered_version),
        computedAt: '',
      });
      memberships.set(row.profile_key, list);
    }
    return memberships;
  }

  /** The profile's segments with current names and times; deleted or unevaluated ones left out. */
  async describe(segments: readonly ProfileSegment[]): Promise<ProfileSegment[]> {
    if (segments.length === 0) return [];
    return named(segments, await this.current());
  }

  /** `describe` without waiting, while the names and times in memory are current; else undefined. */
  describeNow(segments: readonly ProfileSegment[]): ProfileSegment[] | undefined {
    if (!this.listing || Date.now() - this.loadedAt >= this.ttlMs) return undefined;
    return named(segments, this.listing);
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
    const [definitions, evaluations] = await Promise.all([
      readNewestDefinitions(this.store),
      readLatestEvaluations(this.store),
    ]);
    const listing = new Map<string, Listing>();
    for (const definition of definitions) {
      const evaluation = evaluations.get(definition.id);
      if (definition.deleted || !evaluation) continue;
      listing.set(definition.id, {
        name: definition.name,
        computedAt: isoOf(evaluation.evaluatedAt),
      });
    }
    // An invalidation during the load means it may have read what came before.
    if (generation === this.generation) {
      this.listing = listing;
      this.loadedAt = Date.now();
    }
    return listing;
  }
}

function named(
  segments: readonly ProfileSegment[],
  listing: Map<string, Listing>,
): ProfileSegment[] {
  return segments.flatMap((segment) => {
    const found = listing.get(segment.id);
    return found ? [{ ...segment, name: found.name, computedAt: found.computedAt }] : [];
  });
}
