import type { RunRecord } from '@rapport/schemas';
import type { z } from 'zod';

export class RunSummaryError extends Error {
  override readonly name = 'RunSummaryError';
}

/**
 * A run's summary read through its job's schema; a summary that does not match (a run from an
 * incompatible version) is an error naming the run and the first field at fault.
 */
export function summaryOf<S extends z.ZodType>(
  run: Pick<RunRecord, 'runId' | 'job' | 'summary'>,
  schema: S,
): z.infer<S> {
  const parsed = schema.safeParse(run.summary);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  throw new RunSummaryError(
    `the summary of ${run.job} run ${run.runId} is not readable: ` +
      `${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
  );
}
