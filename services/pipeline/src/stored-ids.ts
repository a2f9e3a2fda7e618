import { chunkForUrl, type Lane, type Store } from '@rapport/store';

/**
 * The subset of event ids already in the store. Reads the by_event_id projection, a run of
 * ids per query: the ids travel in the URL, which a server caps (a Kafka backlog gives
 * batches of thousands).
 */
export async function storedIds(
  store: Store,
  ids: readonly string[],
  lane: Lane = 'write',
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunkForUrl(ids)) {
    const rows = await store.query<{ event_id: string }>(
      'SELECT event_id FROM events WHERE event_id IN {ids:Array(String)}',
      { ids: chunk },
      lane,
    );
    for (const row of rows) found.add(row.event_id);
  }
  return found;
}

/** What an early look-up found: the ids stored when it began, and the writer's count then. */
export interface EarlyAnswer {
  /** How many inserts the writer had completed when the look-up's statement began. */
  after: number;
  found: Set<string>;
}

/** A look-up under way; undefined when it failed (its ids are looked up again at the write). */
export type EarlyLookup = Promise<EarlyAnswer | undefined>;

/**
 * Looks up whether events are stored as they arrive, while the writer is still busy with an
 * earlier batch, so the writer's own look-up leaves its path. One statement at a time, on a
 * read connection: the ids of everything that arrives while one runs go in the next.
 *
 * An answer holds what was stored when its statement began; the writer adds what it inserted
 * after that (see `completedInserts`), so together they say exactly what was stored when the
 * batch is written.
 */
export class EarlyLookups {
  private waiting: {
    ids: readonly string[];
    resolve: (answer: EarlyAnswer | undefined) => void;
  }[] = [];
  private running = false;

  constructor(
    private readonly store: Store,
    /** The number of inserts the writer has completed so far. */
    private readonly completedInserts: () => number,
  ) {}

  lookUp(ids: readonly string[]): EarlyLookup {
    return new Promise((resolve) => {
      this.waiting.push({ ids, resolve });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const taken = this.waiting;
        this.waiting = [];
        const after = this.completedInserts();
        const answer = await storedIds(
          this.store,
          [...new Set(taken.flatMap((entry) => entry.ids))],
          'read',
        ).then(
          (found): EarlyAnswer => ({ after, found }),
          () => undefined,
        );
        for (const entry of taken) entry.resolve(answer);
      }
    } finally {
      this.running = false;
    }
  }
}

/** How many of the writer's latest inserts keep their ids for early answers. */
const KEPT_INSERTS = 64;

/** The ids of the writer's latest inserts, numbered by the count of inserts completed. */
export class CompletedInserts {
  count = 0;
  private readonly recent: (readonly string[])[] = [];

  add(ids: readonly string[]): void {
    this.count++;
    this.recent.push(ids);
    if (this.recent.length > KEPT_INSERTS) this.recent.shift();
  }

  /**
   * The ids inserted once the first `after` inserts were done, or undefined when some of
   * those inserts are no longer kept.
   */
  since(after: number): Set<string> | undefined {
    const missing = this.count - after;
    if (missing > this.recent.length) return undefined;
    return new Set(this.recent.slice(this.recent.length - missing).flat());
  }
}

const NOT_ASKED: EarlyLookup = Promise.resolve(undefined);

/**
 * The ids among `ids` already stored, from early answers where they hold (what the answer
 * found, and what the writer inserted after it began); the rest are looked up now.
 */
export async function knownIds(
  store: Store,
  completed: CompletedInserts,
  ids: readonly string[],
  early: readonly (EarlyLookup | undefined)[],
): Promise<Set<string>> {
  const known = new Set<string>();
  const unanswered: string[] = [];
  const sinceByAfter = new Map<number, Set<string> | undefined>();
  const answers = await Promise.all(ids.map((_, index) => early[index] ?? NOT_ASKED));
  ids.forEach((id, index) => {
    const answer = answers[index];
    if (answer === undefined) return unanswered.push(id);
    if (!sinceByAfter.has(answer.after)) {
      sinceByAfter.set(answer.after, completed.since(answer.after));
    }
    const since = sinceByAfter.get(answer.after);
    if (since === undefined) unanswered.push(id);
    else if (answer.found.has(id) || since.has(id)) known.add(id);
  });
  if (unanswered.length > 0) {
    for (const id of await storedIds(store, [...new Set(unanswered)])) known.add(id);
  }
  return known;
}
