import type { Profile } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import type { LatestRuns } from '../reports/latest-runs.js';
import { readClvScore } from '../reports/clv-report.js';
import { readProfileCluster } from '../reports/clusters-report.js';
import { readRfmScore } from '../reports/rfm-report.js';
import { readProfileSegments } from '../segments/profile-segments.js';
import type { SegmentDirectory } from '../segments/segment-directory.js';
import { assembleProfile, type LifecycleRules } from './assemble-profile.js';
import { linkedAnonymousIds, ownerOf } from './identity.js';
import type { ProfileCache } from './profile-cache.js';
import { findByTrait, readStats, readTraits } from './profile-query.js';

export interface ProfileServiceDeps {
  store: Store;
  cache: ProfileCache;
  /** Latest job runs, whose results the profile shows. */
  latest: LatestRuns;
  /** Names and evaluation times of the segments profiles list. */
  segments: SegmentDirectory;
  currency: string;
  rules: LifecycleRules;
  now?: () => number;
}

/** Reads profiles: current ones through the cache, past ones (`asOf`) from the event log. */
export class ProfileService {
  private readonly now: () => number;

  constructor(private readonly deps: ProfileServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The lifecycle rules profiles are staged by; segment rules test the same stages. */
  get rules(): LifecycleRules {
    return this.deps.rules;
  }

  /** The customer's profile, or undefined when nothing is known of them. */
  async customer(customerId: string, asOf?: number): Promise<Profile | undefined> {
    if (asOf !== undefined) return this.read(customerId, asOf);
    const profile = await this.deps.cache.load(customerId, () => this.read(customerId));
    if (!profile || profile.segments.length === 0) return profile;
    // A cached profile's memberships hold until a run changes them; names and times move on.
    return { ...profile, segments: await this.deps.segments.describe(profile.segments) };
  }

  /** Definitions changed or a segments run ended: names and evaluation times are read anew. */
  segmentsChanged(): void {
    this.deps.segments.invalidate();
  }

  /** The profile a device belongs to: its customer's, or a visitor profile of its own. */
  async visitor(anonymousId: string, asOf?: number): Promise<Profile | undefined> {
    const owner = await ownerOf(this.deps.store, anonymousId, asOf);
    if (owner !== null) return this.customer(owner, asOf);
    const key = `a:${anonymousId}`;
    const [row, segments, cluster] = await Promise.all([
      readStats(this.deps.store, [key], asOf),
      asOf === undefined ? readProfileSegments(this.deps.store, this.deps.segments, key) : [],
      asOf === undefined ? readProfileCluster(this.deps.store, this.deps.latest, key) : null,
    ]);
    if (!row) return undefined;
    return assembleProfile({
      customerId: null,
      anonymousIds: [anonymousId],
      row,
      traits: {},
      segments,
      cluster,
      currency: this.deps.currency,
      rules: this.deps.rules,
      now: this.now(),
      ...(asOf === undefined ? {} : { asOf }),
    });
  }

  async findByTrait(trait: 'email' | 'phone', value: string): Promise<Profile[]> {
    const ids = await findByTrait(this.deps.store, trait, value);
    const profiles = await Promise.all(ids.map((id) => this.customer(id)));
    return profiles.filter((profile): profile is Profile => profile !== undefined);
  }

  private async read(customerId: string, asOf?: number): Promise<Profile | undefined> {
    const { store } = this.deps;
    const anonymousIds = await linkedAnonymousIds(store, customerId, asOf);
    const keys = [`c:${customerId}`, ...anonymousIds.map((id) => `a:${id}`)];
    const [row, traits, rfm, clv, segments, cluster] = await Promise.all([
      readStats(store, keys, asOf),
      readTraits(store, customerId, asOf),
      asOf === undefined ? readRfmScore(store, this.deps.latest, customerId) : null,
      asOf === undefined ? readClvScore(store, this.deps.latest, customerId) : null,
      asOf === undefined ? readProfileSegments(store, this.deps.segments, `c:${customerId}`) : [],
      asOf === undefined ? readProfileCluster(store, this.deps.latest, `c:${customerId}`) : null,
    ]);
    if (!row && anonymousIds.length === 0 && Object.keys(traits).length === 0) return undefined;
    return assembleProfile({
      customerId,
      anonymousIds,
      row,
      traits,
      rfm,
      clv,
      segments,
      cluster,
      currency: this.deps.currency,
      rules: this.deps.rules,
      now: this.now(),
      ...(asOf === undefined ? {} : { asOf }),
    });
  }
}
