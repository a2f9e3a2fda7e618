import { Pool } from 'undici';
import { fetchMetrics, metricValue } from '../lib/metrics.js';
import { fetchProfiles, type FetchRound } from './warmup.js';

/** Events of the heavy customers start here, a minute apart per device (within the data set's years). */
const START = Date.UTC(2024, 5, 1);
const TYPES = ['page_view', 'click', 'search'] as const;
const PROPERTIES = {
  page_view: { url: 'https://shop.example/products/trail-shoes', title: 'Trail shoes' },
  click: { target: 'add-to-cart' },
  search: { query: 'rain jacket', results: 12 },
};

export interface HeavyProfiles {
  customers: number;
  devicesEach: number;
  eventsEach: number;
  /** Seconds to post their events, and until their rows stopped being rewritten. */
  writeSeconds: number;
  settleSeconds: number;
  /** Each customer read once, one at a time, uncached (its events dropped it from the cache). */
  reads: FetchRound;
  /** Answers that were not 200 or did not list every device. */
  wrong: number;
}

/** The events of heavy customer `index`: every device identified, then active. */
function eventsOf(index: number, devices: number, perDevice: number) {
  const customerId = `bench-heavy-${index}`;
  const events: Record<string, unknown>[] = [];
  for (let device = 0; device < devices; device++) {
    const anonymousId = `${customerId}-device-${device}`;
    const at = START + device * 60_000;
    events.push({
      type: 'identify',
      eventId: `${anonymousId}-identify`,
      customerId,
      anonymousId,
      timestamp: new Date(at).toISOString(),
    });
    for (let n = 0; n < perDevice; n++) {
      const type = TYPES[n % TYPES.length]!;
      events.push({
        type,
        eventId: `${anonymousId}-${n}`,
        anonymousId,
        timestamp: new Date(at + (n + 1) * 1_000).toISOString(),
        properties: PROPERTIES[type],
      });
    }
  }
  return events;
}

async function post(origin: string, batches: Record<string, unknown>[][]): Promise<void> {
  const pool = new Pool(origin, { connections: 4, pipelining: 1 });
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const events = batches[next++]!;
      const response = await pool.request({
        method: 'POST',
        path: '/v1/events',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      const text = await response.body.text();
      // Events of an earlier run are answered as duplicates: the data set keeps them.
      if (response.statusCode !== 200) {
        throw new Error(`heavy customers: HTTP ${response.statusCode}: ${text.slice(0, 500)}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: 4 }, worker));
  } finally {
    await pool.close();
  }
}

/** Waits until no profile row is due a rewrite (at most `seconds`). */
async function rowsSettled(origin: string, seconds: number): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    const text = await fetchMetrics(origin);
    if (metricValue(text, 'rapport_profile_rows_pending') === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Adds `customers` customers with `devices` anonymous ids each and `perDevice` events per
 * device to the store through the API (the same event ids every run), waits for their rows,
 * then reads each once, one at a time, as a personalization service would.
 */
export async function measureHeavyProfiles(
  origin: string,
  options: { customers: number; devices: number; perDevice: number; settleSeconds: number },
): Promise<HeavyProfiles> {
  const { customers, devices, perDevice } = options;
  const all = Array.from({ length: customers }, (_, index) =>
    eventsOf(index, devices, perDevice),
  ).flat();
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < all.length; start += 500) batches.push(all.slice(start, start + 500));
  const started = performance.now();
  await post(origin, batches);
  const written = performance.now();
  await rowsSettled(origin, options.settleSeconds);
  const settled = performance.now();
  const ids = Array.from({ length: customers }, (_, index) => `bench-heavy-${index}`);
  const reads = await fetchProfiles(origin, ids, 1);
  // The answers themselves are checked once more, outside the timing.
  let wrong = 0;
  for (const id of ids) {
    const response = await fetch(`${origin}/v1/customers/${id}`);
    const profile = (await response.json()) as { anonymousIds?: unknown[] };
    if (response.status !== 200 || profile.anonymousIds?.length !== devices) wrong++;
  }
  return {
    customers,
    devicesEach: devices,
    eventsEach: devices * (perDevice + 1),
    writeSeconds: (written - started) / 1000,
    settleSeconds: (settled - written) / 1000,
    reads,
    wrong,
  };
}
