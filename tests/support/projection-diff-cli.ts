/**
 * Compares an embedded store's projections with a replay of its log, in a process of its own
 * (a data directory belongs to one process at a time): run it while no engine holds it.
 *   node --import tsx tests/support/projection-diff-cli.ts <dataDir> <acknowledged-ids-file>
 * Prints the ProjectionDiff as one JSON line.
 */
import { readFileSync } from 'node:fs';
import { diffAgainstReplay, opener } from './projection-diff.js';

const [dataDir, idsFile] = process.argv.slice(2);
if (!dataDir || !idsFile) throw new Error('usage: projection-diff-cli <dataDir> <idsFile>');
const open = opener(dataDir);
const store = await open('rapport');
try {
  const acknowledged = readFileSync(idsFile, 'utf8').split('\n').filter(Boolean);
  const diff = await diffAgainstReplay(store, { acknowledged, open });
  process.stdout.write(`${JSON.stringify(diff)}\n`);
} finally {
  await store.close();
}
