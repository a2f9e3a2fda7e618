/**
 * The profile keys owed a rewrite of their rows (touched by committed events, found behind by a
 * read, or being rewritten), those whose mirrored memberships are owed a read, and those never
 * written again (being erased). Every key here is behind until its rewrite is done.
 */
export class PendingKeys {
  private readonly touchedKeys = new Set<string>();
  private readonly behindKeys = new Set<string>();
  /** Keys being erased: never written again by this process. */
  private readonly excludedKeys = new Set<string>();
  /** Keys a drain under way rewrites: behind until it is done. */
  private readonly inFlight = new Set<string>();
  /** Profiles whose memberships changed since the mirror read them, and those being read. */
  private readonly segmentsBehind = new Set<string>();
  private readonly segmentsInFlight = new Set<string>();

  /** Keys being erased: never written again by this process. */
  get excluded(): ReadonlySet<string> {
    return this.excludedKeys;
  }

  /** Keys touched and not yet rewritten (a failed rewrite puts its keys back here). */
  get touched(): ReadonlySet<string> {
    return this.touchedKeys;
  }

  /** Events were committed under these keys: owed a rewrite, unless excluded. */
  touch(keys: Iterable<string>): void {
    for (const key of keys) if (!this.excludedKeys.has(key)) this.touchedKeys.add(key);
  }

  /** A read found the row of `key` behind. */
  behind(key: string): void {
    this.behindKeys.add(key);
  }

  /** Memberships of these profiles changed: the mirror owes them a read, unless excluded. */
  segmentsChanged(keys: Iterable<string>): void {
    for (const key of keys) if (!this.excludedKeys.has(key)) this.segmentsBehind.add(key);
  }

  /** These keys are never written again: what waits for them is dropped. */
  exclude(keys: readonly string[]): void {
    for (const key of keys) {
      this.excludedKeys.add(key);
      this.touchedKeys.delete(key);
      this.behindKeys.delete(key);
      this.segmentsBehind.delete(key);
    }
  }

  isBehind(key: string): boolean {
    return this.touchedKeys.has(key) || this.behindKeys.has(key) || this.inFlight.has(key);
  }

  /** Whether the mirror's memberships of `key` are current: not changed nor being read. */
  segmentsCurrent(key: string): boolean {
    return !this.segmentsBehind.has(key) && !this.segmentsInFlight.has(key);
  }

  /** How many rewrites (and reads of memberships) are owed or under way. */
  get size(): number {
    return (
      this.touchedKeys.size + this.behindKeys.size + this.inFlight.size + this.segmentsBehind.size
    );
  }

  /** Whether any key waits for a rewrite or its memberships. */
  get waiting(): boolean {
    return this.touchedKeys.size > 0 || this.behindKeys.size > 0 || this.segmentsBehind.size > 0;
  }

  /** The keys touched and those found behind, now being rewritten (in flight until `rowsDone`). */
  takeRows(): { touched: string[]; behind: string[] } {
    const touched = [...this.touchedKeys];
    this.touchedKeys.clear();
    const behind = [...this.behindKeys];
    this.behindKeys.clear();
    for (const key of [...touched, ...behind]) this.inFlight.add(key);
    return { touched, behind };
  }

  /** These keys are being rewritten too (the profiles touched keys belong to). */
  rewriting(keys: Iterable<string>): void {
    for (const key of keys) this.inFlight.add(key);
  }

  /** Their rewrite failed: the keys are tried again. */
  retry(keys: readonly string[]): void {
    for (const key of keys) this.touchedKeys.add(key);
  }

  /** The rewrites under way are done (or failed and were put back). */
  rowsDone(): void {
    this.inFlight.clear();
  }

  /** The profiles whose memberships the mirror reads now (in flight until `segmentsDone`). */
  takeSegments(): string[] {
    const keys = [...this.segmentsBehind];
    this.segmentsBehind.clear();
    for (const key of keys) this.segmentsInFlight.add(key);
    return keys;
  }

  /** Reading their memberships failed: they stay behind. */
  retrySegments(keys: readonly string[]): void {
    for (const key of keys) this.segmentsBehind.add(key);
  }

  segmentsDone(): void {
    this.segmentsInFlight.clear();
  }

  /** Every key owed a rewrite or a read of its memberships, all dropped (at close). */
  takeOwed(): Set<string> {
    const owed = new Set([...this.touchedKeys, ...this.behindKeys, ...this.segmentsBehind]);
    this.segmentsBehind.clear();
    this.touchedKeys.clear();
    this.behindKeys.clear();
    return owed;
  }
}
