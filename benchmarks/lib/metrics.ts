import { request } from 'undici';

/** The engine's Prometheus metrics, as text. */
export async function fetchMetrics(origin: string): Promise<string> {
  const response = await request(`${origin}/metrics`);
  const text = await response.body.text();
  if (response.statusCode !== 200) {
    throw new Error(`GET /metrics answered ${response.statusCode}: ${text.slice(0, 200)}`);
  }
  return text;
}

/**
 * The value of the first sample of `name` whose labels include every `labels` pair (e.g.
 * `{ result: 'hit' }`); 0 when there is none (a counter not yet incremented).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find(
      (candidate) =>
        (candidate.startsWith(`${name}{`) || candidate.startsWith(`${name} `)) &&
        wanted.every((pair) => candidate.includes(pair)),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}
