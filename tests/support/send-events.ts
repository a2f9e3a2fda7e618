import type { Engine } from '@rapport/engine';

/** Posts events in batches through the HTTP route, failing on any rejected event. */
export async function sendAll(engine: Engine, events: Iterable<unknown>, batchSize = 500) {
  let batch: unknown[] = [];
  let accepted = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const response = await engine.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: { events: batch },
    });
    const body = response.json<{ accepted: number; rejected: unknown[] }>();
    if (response.statusCode !== 200 || body.rejected.length > 0) {
      throw new Error(`batch refused: ${response.statusCode} ${response.body.slice(0, 500)}`);
    }
    accepted += body.accepted;
    batch = [];
  };
  for (const event of events) {
    batch.push(event);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return accepted;
}

/** Starts a job through the API and waits for it to end. */
export async function runJob(engine: Engine, name: string, params: Record<string, unknown> = {}) {
  const started = await engine.app.inject({
    method: 'POST',
    url: `/v1/jobs/${name}/runs`,
    payload: params,
  });
  if (started.statusCode !== 202) throw new Error(`job refused: ${started.body}`);
  const { runId } = started.json<{ runId: string }>();
  for (;;) {
    const run = (await engine.app.inject({ url: `/v1/jobs/runs/${runId}` })).json<{
      status: string;
      error: string | null;
    }>();
    if (run.status !== 'running') return { runId, ...run };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
