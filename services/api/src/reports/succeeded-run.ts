import { HttpError } from '@rapport/http';
import { RunStore } from '@rapport/runs';
import type { RunRecord } from '@rapport/schemas';
import type { Store } from '@rapport/store';

/** A run a report can be made of: 404 for no such run of the job, 409 unless it succeeded. */
export async function succeededRun(
  store: Store,
  input: { job: string; runId: string },
): Promise<RunRecord> {
  const run = await new RunStore(store).get(input.runId);
  if (!run || run.job !== input.job) throw new HttpError(404, `no ${input.job} run ${input.runId}`);
  if (run.status !== 'succeeded') {
    throw new HttpError(409, `${input.job} run ${input.runId} is ${run.status}`);
  }
  return run;
}
