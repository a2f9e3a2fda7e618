/**
 * One timed load run with autocannon, as a process of its own so that the load generator
 * does not share an event loop with the benchmark or the engine.
 *
 *   tsx benchmarks/profiles/load.ts --origin http://127.0.0.1:PORT --path /healthz …
 *   tsx benchmarks/profiles/load.ts --origin … --ids-file ids.txt --seed 1 …
 *
 * With --ids-file, every request asks GET /v1/customers/<id> for an id drawn at random
 * (seeded) from the file. Prints {"load": LoadResult}.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createRandom } from '../lib/random.js';
import { percentile } from '../lib/stats.js';

export interface LoadResult {
  /** What was asked for: a path, or `/v1/customers/:id` over N ids. */
  target: string;
  connections: number;
  seconds: number;
  /** Answers of every status. */
  requests: number;
  /** 2xx answers a second: the throughput. */
  requestsPerSecond: number;
  /** Latency of 2xx answers, milliseconds, measured per request. */
  latencyMs: { p50: number; p97_5: number; p99: number; max: number; mean: number };
  /** Socket errors and timeouts, and answers other than 2xx. */
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** Response bytes a second. */
  bytesPerSecond: number;
}

const { values } = parseArgs({
  strict: true,
  options: {
    origin: { type: 'string' },
    path: { type: 'string' },
    'ids-file': { type: 'string' },
    seed: { type: 'string', default: '1' },
    duration: { type: 'string' },
    connections: { type: 'string' },
  },
});
const origin = values.origin;
const duration = Number(values.duration);
const connections = Number(values.connections);
if (!origin || !(duration > 0) || !(connections > 0) || (!values.path && !values['ids-file'])) {
  throw new Error('--origin, --duration, --connections and --path or --ids-file are required');
}
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(origin)) {
  throw new Error(`the load goes to the loopback engine only, not ${origin}`);
}

let target: string;
let requests: autocannon.Request[] | undefined;
if (values['ids-file']) {
  const ids = (await readFile(values['ids-file'], 'utf8')).split('\n').filter((id) => id !== '');
  if (ids.length === 0) throw new Error(`${values['ids-file']} holds no ids`);
  const paths = ids.map((id) => `/v1/customers/${encodeURIComponent(id)}`);
  const random = createRandom(Number(values.seed));
  target = `/v1/customers/:id over ${ids.length} ids`;
  requests = [
    {
      method: 'GET',
      setupRequest: (request) => ({ ...request, path: paths[random.int(paths.length)]! }),
    },
  ];
} else {
  target = values.path!;
}

const latencies: number[] = [];
const result = await new Promise<autocannon.Result>((resolve, reject) => {
  const instance = autocannon(
    {
      url: `${origin}${values.path ?? '/'}`,
      connections,
      pipelining: 1,
      duration,
      timeout: 10,
      ...(requests ? { requests } : {}),
    },
    (error: unknown, done) =>
      error
        ? reject(error instanceof Error ? error : new Error(JSON.stringify(error)))
        : resolve(done),
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    // Finer than autocannon's own histogram, which keeps whole milliseconds.
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
});
const sum = latencies.reduce((total, value) => total + value, 0);
const load: LoadResult = {
  target,
  connections,
  seconds: result.duration,
  requests: result.requests.total,
  requestsPerSecond: latencies.length / result.duration,
  latencyMs: {
    p50: percentile(latencies, 50),
    p97_5: percentile(latencies, 97.5),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    mean: latencies.length === 0 ? NaN : sum / latencies.length,
  },
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  statusCodes: Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count ?? 0]),
  ),
  bytesPerSecond: result.throughput.total / result.duration,
};
process.stdout.write(`${JSON.stringify({ load })}\n`);
