/**
 * Picks the customers the profile benchmark reads, as a process of its own (it opens the
 * embedded store, which only one process may hold): the `--working-set` identified customers
 * most recently active, and every identified customer, one id a line in two files.
 * Prints {"customerIds": {workingSet, all}} with the counts written.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { openDatasetStore } from '../lib/dataset-store.js';

const { values } = parseArgs({
  strict: true,
  options: {
    'data-dir': { type: 'string' },
    'working-set': { type: 'string' },
    'working-set-file': { type: 'string' },
    'all-file': { type: 'string' },
  },
});
const dataDir = values['data-dir'];
const workingSetFile = values['working-set-file'];
const allFile = values['all-file'];
const size = Number(values['working-set']);
if (!dataDir || !workingSetFile || !allFile || !Number.isSafeInteger(size) || size < 1) {
  throw new Error('--data-dir, --working-set N, --working-set-file and --all-file are required');
}

const store = await openDatasetStore(dataDir);
try {
  // Activity under the customer's own id (events sent once identified), latest first; ties
  // broken by id so the same data set always gives the same working set.
  const recent = await store.query<{ id: string }>(
    `SELECT substring(customer_key, 3) AS id FROM customer_stats
     WHERE startsWith(customer_key, 'c:')
     GROUP BY customer_key
     ORDER BY max(last_seen) DESC, customer_key
     LIMIT {size:UInt64}`,
    { size },
  );
  const all = await store.query<{ id: string }>(
    `SELECT DISTINCT substring(customer_key, 3) AS id FROM customer_stats
     WHERE startsWith(customer_key, 'c:') ORDER BY id`,
  );
  await writeFile(workingSetFile, recent.map((row) => row.id).join('\n'));
  await writeFile(allFile, all.map((row) => row.id).join('\n'));
  process.stdout.write(
    `${JSON.stringify({ customerIds: { workingSet: recent.length, all: all.length } })}\n`,
  );
} finally {
  await store.close();
}
