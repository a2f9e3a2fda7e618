import type { Logger } from '@rapport/observability';
import cron, { type ScheduledTask } from 'node-cron';
import { JobRunningError } from './job.js';
import type { JobRunner } from './job-runner.js';

/** Job name → cron expression (validated when the configuration was read). */
export type Schedules = Readonly<Record<string, string>>;

/**
 * Starts the configured job runs on their cron schedules. A run still going when its next
 * time comes is left alone; the skipped tick is logged.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];

  constructor(
    private readonly runner: JobRunner,
    private readonly schedules: Schedules,
    private readonly logger: Logger,
  ) {
    for (const name of Object.keys(schedules)) runner.job(name);
  }

  start(): void {
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
    for (const task of this.tasks) await task.destroy();
    this.tasks.length = 0;
  }
}
