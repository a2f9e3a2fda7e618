import { ingestResponseSchema, type EventInput, type IngestResponse } from '@rapport/schemas';
import { generateCustomers, type GeneratorOptions } from '@rapport/testkit';
import cliProgress from 'cli-progress';
import { setTimeout as sleep } from 'node:timers/promises';
import { keyAdvice } from './client.js';

/** Loads generated demo data into a running engine over its ingest API. */

export interface DemoOptions {
  /** Base URL of the engine, e.g. http://127.0.0.1:3000. */
  url: string;
  /** People to generate, anonymous visitors included. */
  customers: number;
  /** Same seed, same data: a second run is reported as duplicates. */
  seed: number;
  /** Sent as `Authorization: Bearer <apiKey>`; needs the `ingest` scope. */
  apiKey?: string;
  /** Events per request, 1–1,000; default 500. */
  batchSize?: number;
  /** Requests in flight at once, 1–64; default 4. */
  concurrency?: number;
  /** Further generator options: period, rates, currency mix. */
  generator?: Omit<GeneratorOptions, 'seed' | 'customers'>;
  /** Where the progress bar goes; default standard error. */
  stderr?: NodeJS.WritableStream;
  /** Where the summary goes; default standard output. */
  stdout?: NodeJS.WritableStream;
}

export interface DemoSummary {
  customers: number;
  /** Events sent (each counted once, however often its batch was retried). */
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Requests sent again after a 503, a 429 or a network error. */
  retries: number;
  seconds: number;
  /** The first few rejections, as `eventId path: message`. */
  rejections: string[];
}

/** The engine's default body limit is 1 MiB; batches stay well below it. */
const MAX_BODY_BYTES = 900 * 1024;
const MAX_ATTEMPTS = 12;
const REQUEST_TIMEOUT_MS = 120_000;
const MAX_WAIT_MS = 60_000;
const SAMPLE_REJECTIONS = 5;

interface Batch {
  number: number;
  body: string;
  events: number;
  /** Customers whose last event is in this batch. */
  customersEnding: number;
}

/** A failure that retrying will not fix: the run stops and reports it. */
export class DemoError extends Error {
  override name = 'DemoError';
}

function checkOptions(options: DemoOptions): {
  root: string;
  endpoint: string;
  batchSize: number;
  concurrency: number;
} {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new DemoError(
      `--url must be an http(s) URL such as http://127.0.0.1:3000, got "${options.url}"`,
    );
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new DemoError(`--url must be an http(s) URL, got "${options.url}"`);
  }
  const batchSize = options.batchSize ?? 500;
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
    throw new DemoError(`the batch size must be a whole number from 1 to 1000, got ${batchSize}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new DemoError(`the concurrency must be a whole number from 1 to 64, got ${concurrency}`);
  }
  if (!Number.isSafeInteger(options.customers) || options.customers < 0) {
    throw new DemoError(`--customers must be a whole number, got ${options.customers}`);
  }
  if (!Number.isSafeInteger(options.seed)) {
    throw new DemoError(`--seed must be a whole number, got ${options.seed}`);
  }
  const root = base.href.replace(/\/+$/, '');
  return { root, endpoint: `${root}/v1/events`, batchSize, concurrency };
}

/** Fails at once, with a hint, when nothing listens at the URL (any HTTP answer will do). */
async function checkReachable(root: string): Promise<void> {
  try {
    const response = await fetch(`${root}/healthz`, { signal: AbortSignal.timeout(10_000) });
    await response.body?.cancel();
  } catch (error) {
    const reason = String(error instanceof Error ? (error.cause ?? error) : error);
    throw new DemoError(
      `no engine answers at ${root} (${reason}): start one with "npx rapport start" (or "npm start") in another terminal, or pass the address of a running one with --url http://host:port`,
    );
  }
}

/**
 * Same seed, same customer ids and event ids; but the events themselves depend on the period
 * too. Loading a seed again with another `--end` would give known customers a second history
 * under ids already taken: every event would be dropped as a duplicate, or, for ids not taken
 * before, two histories would mix. So before sending anything, the first identified person's
 * stored timeline is compared with the one this run would send, and a difference stops the run.
 */
async function checkSameData(
  root: string,
  options: DemoOptions,
  headers: Record<string, string>,
  stderr: NodeJS.WritableStream,
): Promise<void> {
  let probe: EventInput[] | undefined;
  let customerId: string | undefined;
  for (const person of generateCustomers({
    ...options.generator,
    seed: options.seed,
    customers: Math.min(options.customers, 200),
  })) {
    if (person.truth.customerId !== undefined) {
      probe = person.events;
      customerId = person.truth.customerId;
      break;
    }
  }
  if (probe === undefined || customerId === undefined) return;
  const response = await fetch(
    `${root}/v1/customers/${encodeURIComponent(customerId)}/events?limit=1000`,
    { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) },
  );
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    stderr.write(
      `demo: could not check whether this engine already holds seed ${options.seed} generated with another --end (the key cannot read customers); a second load must use the same --end\n`,
    );
    return;
  }
  if (!response.ok) {
    await response.body?.cancel();
    return;
  }
  const stored = (await response.json()) as { events?: { eventId: string; timestamp: string }[] };
  const generated = new Map(probe.map((event) => [event.eventId, Date.parse(event.timestamp)]));
  const differs = (stored.events ?? []).some((event) => {
    const at = generated.get(event.eventId);
    return (
      event.eventId.startsWith('g-') && (at === undefined || at !== Date.parse(event.timestamp))
    );
  });
  if (differs) {
    throw new DemoError(
      `this engine already holds demo data of seed ${options.seed} generated for another period (${customerId}'s events differ): loading it again with this --end would mix two histories under the same ids. Load it with the --end used before, choose another --seed, or start the engine on an empty data directory (RAPPORT_DATA_DIR)`,
    );
  }
}

/** How long to wait (ms) as a Retry-After header says, in seconds or as an HTTP date. */
function retryAfterMs(header: string | null, fallbackMs: number): number {
  if (header === null || header.trim() === '') return fallbackMs;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_WAIT_MS) : fallbackMs;
}

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s … up to 30 s. */
const backoffMs = (attempt: number) =>
  Math.min(500 * 2 ** attempt, 30_000) * (0.5 + Math.random() / 2);

const formatNumber = (value: number) => value.toLocaleString('en-US');

/**
 * Generates `customers` people from `seed` and streams their events to `POST {url}/v1/events`
 * in batches, a few requests at a time, showing progress on standard error. Batches answered
 * with 503 or 429 (after Retry-After) or lost to a network error are sent again: event ids
 * are fixed by the seed, so a batch that did arrive the first time comes back as duplicates.
 * Any other answer but 2xx stops the run with the answer in the error. Resolves to the totals,
 * which are also printed.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { root, endpoint, batchSize, concurrency } = checkOptions(options);
  await checkReachable(root);
  const stderr = options.stderr ?? process.stderr;
  const stdout = options.stdout ?? process.stdout;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  await checkSameData(root, options, headers, stderr);

  const started = performance.now();
  const summary: DemoSummary = {
    customers: 0,
    events: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    retries: 0,
    seconds: 0,
    rejections: [],
  };
  const bar = new cliProgress.SingleBar(
    {
      stream: stderr,
      format:
        'demo [{bar}] {percentage}% | {value}/{total} customers | {events} events | {rate} events/s | ETA {eta_formatted}',
      hideCursor: false,
      noTTYOutput: true,
      notTTYSchedule: 10_000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const rate = () => {
    const seconds = (performance.now() - started) / 1000;
    return seconds > 0 ? Math.round(summary.events / seconds) : 0;
  };
  const payload = () => ({ events: formatNumber(summary.events), rate: formatNumber(rate()) });
  bar.start(options.customers, 0, payload());

  const abort = new AbortController();
  let failure: Error | undefined;

  async function post(batch: Batch): Promise<IngestResponse> {
    for (let attempt = 0; ; attempt++) {
      if (abort.signal.aborted) throw new DemoError('stopped');
      let response: Response;
      let text: string;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers,
          body: batch.body,
          signal: AbortSignal.any([abort.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        });
        text = await response.text();
      } catch (error) {
        if (abort.signal.aborted) throw error;
        if (attempt + 1 >= MAX_ATTEMPTS) {
          const reason = String(error instanceof Error ? (error.cause ?? error) : error);
          throw new DemoError(
            `could not reach ${endpoint} after ${MAX_ATTEMPTS} attempts: ${reason}`,
          );
        }
        summary.retries++;
        await sleep(backoffMs(attempt), undefined, { signal: abort.signal });
        continue;
      }
      if (response.status === 503 || response.status === 429) {
        if (attempt + 1 >= MAX_ATTEMPTS) {
          throw new DemoError(
            `the engine kept answering ${response.status} (${MAX_ATTEMPTS} attempts): ${text}`,
          );
        }
        summary.retries++;
        const wait = retryAfterMs(response.headers.get('retry-after'), backoffMs(attempt));
        await sleep(wait, undefined, { signal: abort.signal });
        continue;
      }
      const answer = parseAnswer(text);
      // A 400 with the ingest answer means every event of the batch was judged and rejected;
      // anything else but a 2xx is a problem retrying will not fix.
      if (answer && (response.ok || response.status === 400)) return answer;
      const advice =
        response.status === 401 || response.status === 403
          ? `\n${keyAdvice(response.status, options.apiKey !== undefined)} (the key needs the "ingest" scope)`
          : '';
      throw new DemoError(
        `POST ${endpoint} answered ${response.status} ${response.statusText} (batch ${batch.number}, ${batch.events} events):\n${text}${advice}`,
      );
    }
  }

  function settle(batch: Batch, answer: IngestResponse) {
    summary.accepted += answer.accepted;
    summary.duplicates += answer.duplicates;
    summary.rejected += answer.rejected.length;
    for (const rejected of answer.rejected) {
      if (summary.rejections.length >= SAMPLE_REJECTIONS) break;
      summary.rejections.push(
        `${rejected.eventId ?? `#${rejected.index}`} ${rejected.path}: ${rejected.message}`,
      );
    }
    summary.events += batch.events;
    summary.customers += batch.customersEnding;
    bar.update(summary.customers, payload());
  }

  const inFlight = new Set<Promise<void>>();
  function send(batch: Batch) {
    const request: Promise<void> = post(batch)
      .then((answer) => settle(batch, answer))
      .catch((error: unknown) => {
        failure ??= error instanceof Error ? error : new DemoError(String(error));
        abort.abort();
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  }

  let parts: string[] = [];
  let bytes = 0;
  let customersEnding = 0;
  let batches = 0;
  const flush = async () => {
    if (parts.length === 0) return;
    const batch: Batch = {
      number: ++batches,
      body: `{"events":[${parts.join(',')}]}`,
      events: parts.length,
      customersEnding,
    };
    parts = [];
    bytes = 0;
    customersEnding = 0;
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (failure === undefined) send(batch);
  };

  try {
    for (const customer of generateCustomers({
      ...options.generator,
      seed: options.seed,
      customers: options.customers,
    })) {
      if (failure !== undefined) break;
      const last = customer.events.length - 1;
      if (last < 0) customersEnding++;
      for (const [n, event] of customer.events.entries()) {
        const json = JSON.stringify(event);
        if (parts.length >= batchSize || bytes + json.length + 1 > MAX_BODY_BYTES) await flush();
        parts.push(json);
        bytes += json.length + 1;
        if (n === last) customersEnding++;
      }
    }
    if (failure === undefined) await flush();
    while (inFlight.size > 0) await Promise.race(inFlight);
  } finally {
    bar.stop();
  }
  if (failure !== undefined) throw failure;

  summary.seconds = Math.round((performance.now() - started) / 100) / 10;
  stdout.write(formatSummary(summary));
  return summary;
}

function parseAnswer(text: string): IngestResponse | undefined {
  try {
    const parsed = ingestResponseSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function formatSummary(summary: DemoSummary): string {
  const perSecond =
    summary.seconds > 0 ? Math.round(summary.events / summary.seconds) : summary.events;
  const lines = [
    `demo: ${formatNumber(summary.customers)} customers, ${formatNumber(summary.events)} events in ${summary.seconds} s (${formatNumber(perSecond)} events/s)`,
    `  accepted    ${formatNumber(summary.accepted)}`,
    `  duplicates  ${formatNumber(summary.duplicates)}${summary.duplicates > 0 && summary.accepted === 0 ? ' (this seed was loaded before)' : ''}`,
    `  rejected    ${formatNumber(summary.rejected)}`,
  ];
  if (summary.retries > 0) lines.push(`  retries     ${formatNumber(summary.retries)}`);
  for (const rejection of summary.rejections) lines.push(`    ${rejection}`);
  return `${lines.join('\n')}\n`;
}
