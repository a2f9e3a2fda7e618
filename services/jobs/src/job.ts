import type { Logger } from '@rapport/observability';
import { isoOf } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import type { z } from 'zod';

export type { PhaseTiming, RunRecord, RunStatus, RunTrigger } from '@rapport/schemas';

/** What a job gets to work with. */
export interface JobContext {
  runId: string;
  store: Store;
  logger: Logger;
  /** Runs one named phase, timing it and reporting progress. */
  phase<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** Counts rows the job wrote, for the run record. */
  wrote(rows: number): void;
}

export interface JobDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  description: string;
  /** Parses parameters from an API body or CLI flags; errors name the parameter. */
  params: z.ZodType<P, Record<string, unknown> | undefined>;
  /** The phases the job goes through, in order, for progress bars. */
  phases: readonly string[];
  run(context: JobContext, params: P): Promise<Record<string, unknown>>;
  /**
   * How many the run scored, read from its summary. A job that says fails a run that scored
   * no one, unless its parameters hold `allowEmpty: true`: an empty run would otherwise
   * become the latest results and blank every profile's scores.
   */
  scored?: (summary: Record<string, unknown>) => number;
}

/** Defines a job: its run() gets the parameters as its schema parses them. */
export function defineJob<P extends Record<string, unknown>>(job: JobDefinition<P>): JobDefinition {
  return job;
}

export class JobRunningError extends Error {
  override readonly name = 'JobRunningError';
  readonly statusCode = 409;
  constructor(
    readonly job: string,
    readonly runId: string,
  ) {
    super(
      `job ${job} is already running as run ${runId}: follow it at GET /v1/jobs/runs/${runId}, and start another once it has finished`,
    );
  }
}

export class UnknownJobError extends Error {
  override readonly name = 'UnknownJobError';
  readonly statusCode = 404;
  constructor(job: string, known: readonly string[]) {
    super(`no job named "${job}"; jobs are ${known.join(', ')}`);
  }
}

/** Why a run that scored no one is not made the latest, and how to publish it anyway. */
export function emptyRunMessage(job: string, params: Record<string, unknown>): string {
  const { asOf: at } = params;
  const asOf =
    typeof at === 'string' ? ` as of ${at}` : typeof at === 'number' ? ` as of ${isoOf(at)}` : '';
  return (
    `the ${job} run scored no one${asOf}; the latest results are kept. ` +
    'Check asOf against the data, or run with allowEmpty: true to publish an empty result'
  );
}

export class JobParamsError extends Error {
  override readonly name = 'JobParamsError';
  readonly statusCode = 400;
}

/**
 * A run that failed with something worth keeping: the runner records `summary` beside the
 * error, so what the job had found before it failed (fits, counts, the input at fault) is
 * not lost with it.
 */
export class JobFailedError extends Error {
  override readonly name: string = 'JobFailedError';
  constructor(
    message: string,
    readonly summary: Record<string, unknown>,
  ) {
    super(message);
  }
}
