import type { Logger } from '@rapport/observability';
import { readEvaluableDefinitions, readReconciledEvaluations } from '@rapport/segments';
import type { Store } from '@rapport/store';
import { JobRunningError } from '../job.js';
import type { JobRunner, StartedRun } from '../job-runner.js';

export interface SavedSegmentRunsOptions {
  runner: JobRunner;
  store: Store;
  logger: Logger;
  /** How often the store is looked at without being told of a save (`saved`). */
  everyMs: number;
  /** How long after a save the run starts, so that a few saves in a row make one run. */
  settleMs?: number;
}

/**
 * The segments saved since their latest evaluation by a run that succeeded (see
 * readReconciledEvaluations): a new segment, a new version of one, and a deleted one whose
 * members were not yet let out. Each as `id@version`.
 */
async function savedSinceEvaluated(store: Store): Promise<Map<string, string>> {
  const [definitions, latest] = await Promise.all([
    readEvaluableDefinitions(store),
    readReconciledEvaluations(store),
  ]);
  const due = new Map<string, string>();
  for (const definition of definitions) {
    const evaluation = latest.get(definition.id);
    const stale = evaluation === undefined || evaluation.version < definition.version;
    // A deleted segment no run evaluated had no members a run let in (streaming evaluation's,
    // if any, are for the scheduled run, which closes every open stay).
    const owed = definition.deleted ? stale && (evaluation?.members ?? 0) > 0 : stale;
    if (owed) due.set(definition.id, `${definition.id}@${definition.version}`);
  }
  return due;
}

/**
 * Runs the segments job, restricted to them, for segments saved since their latest
 * evaluation: a new or changed segment has its members, and a deleted one lets them out, a
 * run's time after it is saved rather than at the next scheduled run. Told of a save (`saved`)
 * it looks after `settleMs`; otherwise every `everyMs` (the saves of another process). A
 * version is run for once: one its run could not evaluate (a rule the store cannot run) waits
 * for the schedule, which reports it, rather than making a run every time.
 */
export class SavedSegmentRuns {
  private readonly tried = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private dueAt = Infinity;
  private looking: Promise<void> | undefined;
  /** The soonest look asked for while one was under way. */
  private askedMs: number | undefined;
  private closed = false;

  constructor(private readonly options: SavedSegmentRunsOptions) {}

  /** Looks soon (a save before a restart may still be owed its run), then every `everyMs`. */
  start(): void {
    this.saved();
  }

  /** A segment was saved: look soon. */
  saved(): void {
    this.lookIn(this.options.settleMs ?? 1_000);
  }

  /** Stops looking; waits for a look under way and the run it started. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.looking;
  }

  private lookIn(ms: number): void {
    if (this.closed) return;
    if (this.looking !== undefined) {
      this.askedMs = Math.min(this.askedMs ?? Infinity, ms);
      return;
    }
    const at = Date.now() + ms;
    if (at >= this.dueAt) return;
    clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => {
      this.dueAt = Infinity;
      this.looking = this.look().finally(() => {
        const next = this.askedMs ?? this.options.everyMs;
        this.askedMs = undefined;
        this.looking = undefined;
        this.lookIn(next);
      });
    }, ms);
    this.timer.unref();
  }

  private async look(): Promise<void> {
    const { runner, store, logger } = this.options;
    let started: StartedRun;
    let segments: string[];
    try {
      const due = await savedSinceEvaluated(store);
      segments = [...due].filter(([, version]) => !this.tried.has(version)).map(([id]) => id);
      if (segments.length === 0) return;
      started = await runner.start('segments', { segments }, 'segment-saved');
      for (const id of segments) this.tried.add(due.get(id) ?? id);
    } catch (error) {
      // A run under way (scheduled, or asked for) is waited for: the next look comes after it.
      if (error instanceof JobRunningError) return runner.ended(error.runId);
      logger.warn({ err: error }, 'saved segments not evaluated: the store could not be read');
      return;
    }
    logger.info({ segments, runId: started.runId }, 'segments run for saved segments');
    await started.finished;
  }
}
