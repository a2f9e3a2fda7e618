import type { Store } from '@rapport/store';
import { readEvaluableDefinitions, type EvaluableDefinition } from '../store/evaluation-order.js';
import type { ProfileRowParams } from './evaluate-profiles.js';
import { currentProfileParams } from './profile-params.js';

/** A value read from the store, kept while it is young enough and nothing said it changed. */
class Kept<T> {
  private kept: { value: Promise<T>; at: number } | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly maxAgeMs: number,
  ) {}

  get(): Promise<T> {
    const now = performance.now();
    if (this.kept !== undefined && now - this.kept.at < this.maxAgeMs) return this.kept.value;
    const value = this.read();
    const entry = { value, at: now };
    if (this.maxAgeMs > 0) this.kept = entry;
    // A failed read is not kept; a change told meanwhile has already dropped it.
    value.catch(() => {
      if (this.kept === entry) this.kept = undefined;
    });
    return value;
  }

  changed(): void {
    this.kept = undefined;
  }
}

/**
 * What every evaluation reads besides its keys: the segments' definitions and the latest
 * successful job runs whose results profiles show. Read for each evaluation (`maxAgeMs` 0),
 * or kept up to `maxAgeMs` where every save of a definition and every job run happen in this
 * process and say so (`definitionsChanged`, `runsChanged`): two reads fewer per evaluation.
 */
export class EvaluationInputs {
  private readonly definitionsKept: Kept<EvaluableDefinition[]>;
  private readonly runsKept: Kept<ProfileRowParams>;

  constructor(store: Store, lapsedAfterDays: number, maxAgeMs = 0) {
    this.definitionsKept = new Kept(() => readEvaluableDefinitions(store), maxAgeMs);
    this.runsKept = new Kept(() => currentProfileParams(store, lapsedAfterDays), maxAgeMs);
  }

  /** The newest version of every segment ever defined, deleted ones included, parsed. */
  definitions(): Promise<EvaluableDefinition[]> {
    return this.definitionsKept.get();
  }

  /** The profile rows' parameters: the lapse threshold and the latest job runs. */
  profileParams(): Promise<ProfileRowParams> {
    return this.runsKept.get();
  }

  /** A definition was saved or deleted: the next evaluation reads them again. */
  definitionsChanged(): void {
    this.definitionsKept.changed();
  }

  /** A job run finished: the next evaluation reads the latest runs again. */
  runsChanged(): void {
    this.runsKept.changed();
  }
}
