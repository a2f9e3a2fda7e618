import { Pool } from 'undici';

export interface RequestBody {
  body: Buffer;
  events: number;
}

export interface LoadResult {
  requests: number;
  events: number;
  accepted: number;
  seconds: number;
  /** One per request, milliseconds, in completion order. */
  latenciesMs: number[];
}

interface IngestAnswer {
  accepted: number;
  duplicates: number;
  rejected: unknown[];
}

/**
 * POSTs every body to /v1/events with `concurrency` requests in flight on as many
 * keep-alive connections. Fails on the first answer that is not a 200 storing every event
 * of its batch (no duplicates, no rejections).
 */
export async function sendBatches(
  origin: string,
  bodies: readonly RequestBody[],
  concurrency: number,
): Promise<LoadResult> {
  const pool = new Pool(origin, {
    connections: concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  const latenciesMs: number[] = [];
  let next = 0;
  let accepted = 0;
  let events = 0;
  let failed = false;

  const worker = async () => {
    while (!failed && next < bodies.length) {
      const index = next++;
      const { body, events: count } = bodies[index]!;
      const sent = performance.now();
      const response = await pool.request({
        method: 'POST',
        path: '/v1/events',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await response.body.text();
      latenciesMs.push(performance.now() - sent);
      if (response.statusCode !== 200) {
        failed = true;
        throw new Error(`batch ${index}: HTTP ${response.statusCode}: ${text.slice(0, 500)}`);
      }
      const answer = JSON.parse(text) as IngestAnswer;
      if (answer.accepted !== count || answer.duplicates !== 0 || answer.rejected.length !== 0) {
        failed = true;
        throw new Error(`batch ${index}: sent ${count} events, got ${text.slice(0, 500)}`);
      }
      accepted += answer.accepted;
      events += count;
    }
  };

  const started = performance.now();
  let seconds: number;
  try {
    const workers = Array.from({ length: Math.min(concurrency, bodies.length) }, worker);
    const outcomes = await Promise.allSettled(workers);
    seconds = (performance.now() - started) / 1000;
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    await pool.close();
  }
  return { requests: latenciesMs.length, events, accepted, seconds, latenciesMs };
}
