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
 * Starts the configured job runs on their cron schedules. A run still going when its next
 * time comes is left alone; the skipped tick is logged. While the segments job is scheduled,
 * with `saved`, a segment saved since its latest evaluation also gets a run of its own
 * (SavedSegmentRuns): `segmentSaved` says one was.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly savedRuns: SavedSegmentRuns | undefined;

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
      const task = cron.schedule(
        expression,
        async () => {
          try {
            const { finished } = await this.runner.start(name, {}, 'schedule');
            await finished;
          } catch (error) {
            if (error instanceof JobRunningError) {
              this.logger.warn(
                { job: name, runId: error.runId },
                'scheduled run skipped: still running',
              );
            } else {
              this.logger.error({ err: error, job: name }, 'scheduled run could not start');
            }
          }
        },
        { name: `rapport-${name}`, timezone: 'UTC', noOverlap: false },
      );
      this.tasks.push(task);
      this.logger.info({ job: name, expression }, 'job scheduled');
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
    await this.savedRuns?.close();
    for (const task of this.tasks) await task.destroy();
    this.tasks.length = 0;
  }
}
