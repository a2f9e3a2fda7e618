import type { Logger } from '@rapport/observability';
import type { Store } from '@rapport/store';
import cron, { type ScheduledTask } from 'node-cron';
import { JobRunningError } from './job.js';
import type { JobRunner } from './job-runner.js';
import { SavedSegmentRuns } from './segments/saved-segment-runs.js';

/** Job name → cron expression (validated when the configuration was read). */
export type Schedules = Readonly<Record<string, string>>;

/**
 * Where the segments saved since their latest evaluation are found (SavedSegmentRuns), and how
 * often it is looked at without being told of a save.
 */
export interface SavedSegmentsWatch {
  store: Store;
  everyMs: number;
}

/**
 * Starts the configured job runs on their cron schedules (see tick for a run already going
 * when a time comes). While the segments job is scheduled, with `saved`, a segment saved since
 * its latest evaluation also gets a run of its own (SavedSegmentRuns): `segmentSaved` says one
 * was.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly savedRuns: SavedSegmentRuns | undefined;
  private stopped = false;

  constructor(
    private readonly runner: JobRunner,
    private readonly schedules: Schedules,
    private readonly logger: Logger,
    saved?: SavedSegmentsWatch,
  ) {
    for (const name of Object.keys(schedules)) runner.job(name);
    this.savedRuns =
      saved === undefined || schedules.segments === undefined
        ? undefined
        : new SavedSegmentRuns({ runner, logger, ...saved });
  }

  /** A segment was created, changed or deleted. */
  segmentSaved(): void {
    this.savedRuns?.saved();
  }

  start(): void {
    this.savedRuns?.start();
    for (const [name, expression] of Object.entries(this.schedules)) {
      const task = cron.schedule(expression, () => this.tick(name), {
        name: `rapport-${name}`,
        timezone: 'UTC',
        noOverlap: false,
      });
      this.tasks.push(task);
      this.logger.info({ job: name, expression }, 'job scheduled');
    }
  }

  /**
   * A scheduled run of `name`. The schedule's own run still going is left alone (this tick is
   * skipped and logged); a run started otherwise (asked for, or for saved segments, which may
   * cover a few segments or other parameters) is waited for, and this run starts after it.
   */
  private async tick(name: string): Promise<void> {
    for (;;) {
      try {
        const { finished } = await this.runner.start(name, {}, 'schedule');
        await finished;
        return;
      } catch (error) {
        if (!(error instanceof JobRunningError)) {
          this.logger.error({ err: error, job: name }, 'scheduled run could not start');
          return;
        }
        const current = this.runner.running(error.runId);
        if (current === undefined || current.trigger === 'schedule') {
          this.logger.warn(
            { job: name, runId: error.runId },
            'scheduled run skipped: still running',
          );
          return;
        }
        this.logger.info(
          { job: name, runId: error.runId, trigger: current.trigger },
          'scheduled run waits for the run under way',
        );
        await this.runner.ended(error.runId);
        if (this.stopped) return;
      }
    }
  }

  /** When each scheduled job runs next. */
  nextRuns(): Record<string, string | null> {
    const names = Object.keys(this.schedules);
    return Object.fromEntries(
      this.tasks.map((task, index) => [
        names[index] ?? '',
        task.getNextRun()?.toISOString() ?? null,
      ]),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.savedRuns?.close();
    for (const task of this.tasks) await task.destroy();
    this.tasks.length = 0;
  }
}
