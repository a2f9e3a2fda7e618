import { Pool } from 'undici';
import type { RequestBody } from '../ingest/http-load.js';

export interface PacedLoadResult {
  events: number;
  seconds: number;
  /** Requests answered 503 and sent again (ingest's queue to Kafka was full). */
  retried: number;
}

/**
 * POSTs the bodies to ingest's /v1/events at `rate` events/s (request i is due at
 * i·batch/rate s), at most `concurrency` in flight. A 503 is sent again after its
 * Retry-After; any other answer that does not accept every event fails the run.
 */
export async function sendPaced(options: {
  origin: string;
  bodies: readonly RequestBody[];
  rate: number;
  concurrency: number;
  deadline: number;
}): Promise<PacedLoadResult> {
  const { origin, bodies, rate, concurrency, deadline } = options;
  const pool = new Pool(origin, { connections: concurrency, keepAliveTimeout: 60_000 });
  const started = performance.now();
  let dueEvents = 0;
  const dueAt = bodies.map((body) => {
    const at = started + (dueEvents / rate) * 1000;
    dueEvents += body.events;
    return at;
  });
  let next = 0;
  let events = 0;
  let retried = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const index = next++;
      const { body, events: count } = bodies[index]!;
      const wait = dueAt[index]! - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      for (;;) {
        if (performance.now() > deadline) throw new Error('the load did not finish in time');
        const response = await pool.request({
          method: 'POST',
          path: '/v1/events',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const text = await response.body.text();
        if (response.statusCode === 503) {
          retried++;
          await new Promise((resolve) => setTimeout(resolve, 500));
          continue;
        }
        const answer = JSON.parse(text) as { accepted?: number };
        if (response.statusCode !== 200 || answer.accepted !== count) {
          throw new Error(`batch ${index}: HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
        }
        events += count;
        break;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, worker));
  } finally {
    await pool.close();
  }
  return { events, seconds: (performance.now() - started) / 1000, retried };
}
