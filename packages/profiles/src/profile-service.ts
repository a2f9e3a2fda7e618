import type { RunStore, LatestRuns } from '@rapport/runs';
import type { ClvScore, Profile, ProfileSegment } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { assembleProfile, type ProfileRuns } from './assemble-profile.js';
import { linkedAnonymousIds, ownerOf } from './identity.js';
import type { ProfileCache } from './profile-cache.js';
import { customerKeys, profileKey } from './profile-key.js';
import type { ProfileRows } from './profile-rows.js';
import { lapsedMs } from './profile-sql.js';
import { profileRowOfStored, readProfileRow } from './read-profile-row.js';
import { findByTrait } from './trait-lookup.js';

/** The segments a profile is in, as the segment store knows them (injected: no cycle). */
export interface ProfileSegments {
  /** The open memberships of a profile, named and timed. */
  ofProfile(profileKey: string): Promise<ProfileSegment[]>;
  /** The same memberships with current names and times (for cached profiles). */
  describe(segments: readonly ProfileSegment[]): Promise<ProfileSegment[]>;
  /** `describe` at once when the names and times are at hand; undefined when they must be read. */
  describeNow?(segments: readonly ProfileSegment[]): ProfileSegment[] | undefined;
  /** Definitions changed or a segments run ended. */
  invalidate(): void;
}

type ClvShape = Pick<ClvScore, 'timeUnit' | 'horizon'>;

export interface LifecycleSettings {
  /** An identified customer with no activity for this many days is lapsed. */
  lapsedAfterDays: number;
}

export interface ProfileServiceDeps {
  store: Store;
  cache: ProfileCache;
  /** Latest job runs, whose results the profile shows. */
  latest: LatestRuns;
  runs: RunStore;
  segments: ProfileSegments;
  currency: string;
  lifecycle: LifecycleSettings;
  /** Current profiles are read from their stored rows where those are current. */
  rows?: ProfileRows;
  now?: () => number;
}

/** Reads profiles: current ones through the cache, past ones (`asOf`) from the event log. */
export class ProfileService {
  private readonly now: () => number;
  /** The last answer for a cached profile whose segments have new names or times. */
  private readonly renamed = new WeakMap<Profile, Profile>();
  /** The time unit and horizon of clv runs, read once per run. */
  private readonly clvShapes = new Map<string, ClvShape>();

  constructor(private readonly deps: ProfileServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The lifecycle settings profiles are staged by; segment rules test the same stages. */
  get lifecycle(): LifecycleSettings {
    return this.deps.lifecycle;
  }

  /** The customer's profile, or undefined when nothing is known of them. */
  async customer(customerId: string, asOf?: number): Promise<Profile | undefined> {
    if (asOf !== undefined) return this.readCustomer(customerId, asOf);
    const profile = await this.deps.cache.load(customerId, () => this.readCustomer(customerId));
    return profile && this.withCurrentSegments(profile);
  }

  /**
   * The customer's current profile, as `customer` answers it, but given at once when it is a
   * cached profile whose segments' names and times are at hand: a cache hit then waits for no
   * promise.
   */
  currentCustomer(customerId: string): Profile | Promise<Profile | undefined> {
    const cached = this.deps.cache.hit(customerId);
    if (cached === undefined) return this.customer(customerId);
    if (cached.segments.length === 0) return cached;
    const segments = this.deps.segments.describeNow?.(cached.segments);
    return segments === undefined
      ? this.withCurrentSegments(cached)
      : this.withSegments(cached, segments);
  }

  /** A cached profile's memberships hold until a run changes them; names and times move on. */
  private async withCurrentSegments(profile: Profile): Promise<Profile> {
    if (profile.segments.length === 0) return profile;
    return this.withSegments(profile, await this.deps.segments.describe(profile.segments));
  }

  private withSegments(profile: Profile, segments: ProfileSegment[]): Profile {
    // Unchanged, the cached (frozen) profile itself is answered: its serialization is kept.
    if (sameSegments(segments, profile.segments)) return profile;
    if (!Object.isFrozen(profile)) return { ...profile, segments };
    // Renamed or evaluated since: the answer is kept, frozen like the cached profile, while the
    // names and times hold, so it too is checked and serialized once rather than at every read.
    const last = this.renamed.get(profile);
    if (last && sameSegments(segments, last.segments)) return last;
    const answer = { ...profile, segments };
    for (const segment of segments) Object.freeze(segment);
    Object.freeze(segments);
    Object.freeze(answer);
    this.renamed.set(profile, answer);
    return answer;
  }

  /** Definitions changed or a segments run ended: names and evaluation times are read anew. */
  segmentsChanged(): void {
    this.deps.segments.invalidate();
  }

  /** The profile a device belongs to: its customer's, or a visitor profile of its own. */
  async visitor(anonymousId: string, asOf?: number): Promise<Profile | undefined> {
    const owner = await ownerOf(this.deps.store, anonymousId, asOf);
    if (owner !== null) return this.customer(owner, asOf);
    const profile =
      (asOf === undefined ? await this.readStored({ anonymousId }) : undefined) ??
      (await this.read({ anonymousId, asOf }));
    return profile && profile.stats.events > 0 ? profile : undefined;
  }

  async findByTrait(trait: 'email' | 'phone', value: string): Promise<Profile[]> {
    const ids = await findByTrait(this.deps.store, trait, value);
    const profiles = await Promise.all(ids.map((id) => this.customer(id)));
    return profiles.filter((profile): profile is Profile => profile !== undefined);
  }

  private async readCustomer(customerId: string, asOf?: number): Promise<Profile | undefined> {
    if (asOf === undefined) {
      const stored = await this.readStored({ customerId });
      if (stored) return stored;
    }
    // Only the activity waits for the linked ids; the rest of the read starts at once.
    const anonymousIds = linkedAnonymousIds(this.deps.store, customerId, asOf);
    const profile = await this.read({ customerId, anonymousIds, asOf });
    if (!profile) return undefined;
    const known =
      profile.stats.events > 0 ||
      profile.anonymousIds.length > 0 ||
      Object.keys(profile.traits).length > 0;
    return known ? profile : undefined;
  }

  /** A customer's profile (with the anonymous ids it owns, once known), or a visitor's. */
  private async read(
    input: ({ customerId: string; anonymousIds: Promise<string[]> } | { anonymousId: string }) & {
      asOf: number | undefined;
    },
  ): Promise<Profile | undefined> {
    const { asOf } = input;
    const customer = 'customerId' in input;
    const key = profileKey(customer ? { customerId: input.customerId } : input);
    const anonymousIds = customer ? input.anonymousIds : Promise.resolve([input.anonymousId]);
    const runs = asOf === undefined ? await this.latestRuns() : null;
    const [row, segments, ids] = await Promise.all([
      readProfileRow(this.deps.store, {
        profileKey: key,
        customerId: customer ? input.customerId : '',
        keys: anonymousIds.then((linked) =>
          customer ? customerKeys(input.customerId, linked) : [key],
        ),
        now: asOf ?? this.now(),
        lapsedAfterDays: this.deps.lifecycle.lapsedAfterDays,
        asOf,
        rfmRun: runs?.rfm?.runId ?? '',
        clvRun: runs?.clv?.runId ?? '',
        clustersRun: runs?.clusters?.runId ?? '',
      }),
      asOf === undefined ? this.deps.segments.ofProfile(key) : [],
      anonymousIds,
    ]);
    if (!row) return undefined;
    return assembleProfile({
      row,
      anonymousIds: ids,
      currency: this.deps.currency,
      runs,
      segments,
      ...(asOf === undefined ? {} : { asOf }),
    });
  }

  /**
   * A current profile from its stored row, when the row is current (see ProfileRows); else
   * undefined, and the caller reads the projections.
   */
  private async readStored(
    ids: { customerId: string } | { anonymousId: string },
  ): Promise<Profile | undefined> {
    const { rows } = this.deps;
    if (!rows) return undefined;
    const key = profileKey(ids);
    const now = this.now();
    const lapsed = lapsedMs(this.deps.lifecycle.lapsedAfterDays);
    // The memberships are read beside the row (a row found behind wastes that read), unless
    // the mirror holds them with the row.
    const prefetched = rows.mirrored ? undefined : this.deps.segments.ofProfile(key);
    prefetched?.catch(() => undefined);
    const [stored, runs] = await Promise.all([
      rows.read(key, { now, lapsedMs: lapsed }),
      this.latestRuns(),
    ]);
    if (!stored) return undefined;
    const segments = stored.segments
      ? await this.deps.segments.describe(stored.segments)
      : await (prefetched ?? this.deps.segments.ofProfile(key));
    const row = await profileRowOfStored(this.deps.store, stored, {
      profileKey: key,
      customerId: 'customerId' in ids ? ids.customerId : '',
      rfmRun: runs.rfm?.runId ?? '',
      clvRun: runs.clv?.runId ?? '',
      clustersRun: runs.clusters?.runId ?? '',
    });
    return assembleProfile({
      row,
      // A visitor's profile lists its own id; a customer's, the ids it owns.
      anonymousIds: 'anonymousId' in ids ? [ids.anonymousId] : stored.anonymousIds,
      currency: this.deps.currency,
      runs,
      segments,
    });
  }

  private async latestRuns(): Promise<ProfileRuns> {
    const { latest } = this.deps;
    const [rfm, clv, clusters] = await Promise.all([
      latest.get('rfm'),
      latest.get('clv'),
      latest.get('clusters'),
    ]);
    return {
      rfm,
      clv: clv && { runId: clv.runId, ...(await this.clvShape(clv.runId)) },
      clusters,
    };
  }

  private async clvShape(runId: string): Promise<ClvShape> {
    const known = this.clvShapes.get(runId);
    if (known) return known;
    const params = (await this.deps.runs.get(runId))?.params ?? {};
    const unit = params.timeUnit;
    const shape: ClvShape = {
      timeUnit: unit === 'day' || unit === 'month' ? unit : 'week',
      horizon: Number(params.horizon ?? 52),
    };
    if (this.clvShapes.size > 100) this.clvShapes.clear();
    this.clvShapes.set(runId, shape);
    return shape;
  }
}

function sameSegments(a: readonly ProfileSegment[], b: readonly ProfileSegment[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (segment, index) =>
        segment.id === b[index]?.id &&
        segment.name === b[index].name &&
        segment.since === b[index].since &&
        segment.version === b[index].version &&
        segment.computedAt === b[index].computedAt,
    )
  );
}
