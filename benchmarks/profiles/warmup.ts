import { Pool } from 'undici';

export interface FetchRound {
  requests: number;
  seconds: number;
  /** One per request, milliseconds. */
  latenciesMs: number[];
  /** Answers by status code. */
  statusCodes: Record<string, number>;
  /** Bytes of the 200 answers' bodies. */
  bodyBytes: number;
}

/**
 * GETs /v1/customers/<id> once for each id in order, `concurrency` requests in flight on as
 * many keep-alive connections, timing each request; no new request starts after `deadline`
 * (a performance.now() instant), so the first `requests` ids are the ones fetched. A request
 * that fails outright fails the round; any HTTP status is counted.
 */
export async function fetchProfiles(
  origin: string,
  ids: readonly string[],
  concurrency: number,
  deadline = Infinity,
): Promise<FetchRound> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const latenciesMs: number[] = [];
  const statusCodes: Record<string, number> = {};
  let bodyBytes = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length && performance.now() < deadline) {
      const id = ids[next++]!;
      const sent = performance.now();
      const response = await pool.request({
        method: 'GET',
        path: `/v1/customers/${encodeURIComponent(id)}`,
      });
      const body = await response.body.arrayBuffer();
      latenciesMs.push(performance.now() - sent);
      statusCodes[response.statusCode] = (statusCodes[response.statusCode] ?? 0) + 1;
      if (response.statusCode === 200) bodyBytes += body.byteLength;
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  } finally {
    await pool.close();
  }
  return {
    requests: latenciesMs.length,
    seconds: (performance.now() - started) / 1000,
    latenciesMs,
    statusCodes,
    bodyBytes,
  };
}
