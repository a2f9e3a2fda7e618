/**
 * Gives a share of the profiles of a copy of the data set one new event each (a page view,
 * or a purchase for every tenth), inserted straight into `events` as the pipeline stores
 * them, so that the next snapshot finds that share changed (a tenth of the customers buy). Profiles are picked by a hash of
 * their key from the latest segments run's snapshot. A process of its own (one per store);
 * prints `{"changed": N}`.
 *
 *   tsx benchmarks/segments/change-profiles.ts --data-dir DIR --share 0.01
 */
import { parseArgs } from 'node:util';
import { makeEvent } from '@rapport/testkit';
import { openDatasetStore } from '../lib/dataset-store.js';
import { DATASET_END } from '../lib/dataset.js';
import { toInsertBuffers, toStoredJsonLines } from '../ingest/stored-rows.js';

const { values } = parseArgs({
  strict: true,
  options: { 'data-dir': { type: 'string' }, share: { type: 'string' } },
});
const dataDir = values['data-dir'];
const share = Number(values.share);
if (!dataDir) throw new Error('--data-dir is required');
if (!(share > 0 && share <= 1)) throw new Error('--share must be in (0, 1]');

const store = await openDatasetStore(dataDir);
try {
  const [latest] = await store.query<{ run_id: string }>(
    `SELECT run_id FROM job_runs WHERE job = 'segments' AND status = 'succeeded'
     ORDER BY finished_at DESC LIMIT 1`,
  );
  if (!latest) throw new Error('no segments run: its snapshot names the profiles');
  const [counted] = await store.query<{ n: number }>(
    'SELECT count() AS n FROM profile_features WHERE run_id = {runId:String}',
    { runId: latest.run_id },
  );
  const keys = await store.query<{ profile_key: string }>(
    `SELECT profile_key FROM profile_features WHERE run_id = {runId:String}
     ORDER BY cityHash64(profile_key) LIMIT {limit:UInt64}`,
    { runId: latest.run_id, limit: Math.round(Number(counted?.n ?? 0) * share) },
  );
  const at = Date.parse(DATASET_END) - 3_600_000;
  const events = keys.map(({ profile_key: key }, index) => {
    const who = key.startsWith('c:')
      ? { customerId: key.slice(2) }
      : { customerId: undefined, anonymousId: key.slice(2) };
    const purchase = index % 10 === 0 && key.startsWith('c:');
    return makeEvent(purchase ? 'purchase' : 'page_view', {
      ...who,
      eventId: `bench-change-${index}`,
      timestamp: new Date(at + index).toISOString(),
      ...(purchase
        ? { properties: { orderId: `bench-change-${index}`, revenue: 42, currency: 'USD' } }
        : {}),
    });
  });
  for (const buffer of toInsertBuffers(toStoredJsonLines(events, Date.now()), 10_000)) {
    await store.insertJsonLines('events', buffer);
  }
  process.stdout.write(`${JSON.stringify({ changed: events.length })}\n`);
} finally {
  await store.close();
}
