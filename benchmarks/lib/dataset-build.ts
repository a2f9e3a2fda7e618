/**
 * Builds a generated data set into an embedded data directory (see dataset.ts), as a process
 * of its own: one process per data directory. Every event goes through the ingest validation
 * and normalisation steps into the JSON rows the pipeline writes, and straight into `events`
 * in inserts of `--rows-per-insert` rows, so the materialized views fill as they do in the
 * engine. Generation is lazy: memory stays flat whatever the size.
 *
 *   tsx benchmarks/lib/dataset-build.ts --customers 20000 [--seed 1] [--rows-per-insert 20000]
 *
 * Progress goes to standard error; the marker, once written, to standard output as
 * {"dataset": …}.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createNormalizeEventStep, createValidateEventStep } from '@rapport/ingest';
import { migrationsDir } from '@rapport/schemas';
import { migrate, openStore, type Store } from '@rapport/store';
import { generateEvents } from '@rapport/testkit';
import {
  DATASET_END,
  DATASET_RECEIVED_AT,
  DATASET_ROOT,
  datasetDir,
  MARKER,
  staleReason,
  type DatasetMarker,
} from './dataset.js';
import { round } from './machine.js';
import { peakRssBytes } from './process-stats.js';
import { toMiB } from './stats.js';

const { values } = parseArgs({
  strict: true,
  options: {
    customers: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'rows-per-insert': { type: 'string', default: '20000' },
  },
});
const whole = (name: keyof typeof values): number => {
  const value = Number(values[name]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} is missing or bad`);
  return value;
};
const spec = { customers: whole('customers'), seed: whole('seed') };
const rowsPerInsert = whole('rows-per-insert');
const dir = datasetDir(spec);

/** Seconds as 1h02m03s. */
const duration = (seconds: number) => {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h > 0 ? `${h}h` : ''}${String(m).padStart(h > 0 ? 2 : 1, '0')}m${String(s % 60).padStart(2, '0')}s`;
};

function progress(started: number) {
  const tty = process.stderr.isTTY;
  let last = 0;
  return (rows: number, people: number, force = false) => {
    const now = performance.now();
    if (!force && now - last < (tty ? 1000 : 15_000)) return;
    last = now;
    const seconds = (now - started) / 1000;
    const rate = rows / seconds;
    const done = people / spec.customers;
    const eta = done > 0 ? (seconds / done) * (1 - done) : NaN;
    const line =
      `  loading: ${rows.toLocaleString('en-US')} rows, ${people.toLocaleString('en-US')}/` +
      `${spec.customers.toLocaleString('en-US')} people (${(done * 100).toFixed(1)} %), ` +
      `${Math.round(rate).toLocaleString('en-US')} rows/s, ETA ${Number.isNaN(eta) ? '?' : duration(eta)}`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
}

/** Waits (a bounded time) for background merges to finish, so later readers see settled parts. */
async function settle(store: Store, maxSeconds: number): Promise<void> {
  for (let waited = 0; waited < maxSeconds; waited++) {
    const [row] = await store.query<{ n: number }>(
      'SELECT count() AS n FROM system.merges WHERE database = currentDatabase()',
    );
    if (Number(row?.n ?? 0) === 0) return;
    await sleep(1000);
  }
}

async function activeParts(store: Store): Promise<Record<string, number>> {
  const rows = await store.query<{ table: string; parts: number }>(
    `SELECT table, count() AS parts FROM system.parts
     WHERE database = currentDatabase() AND active GROUP BY table ORDER BY table`,
  );
  return Object.fromEntries(rows.map((row) => [row.table, Number(row.parts)]));
}

async function diskBytes(store: Store): Promise<number> {
  const [row] = await store.query<{ bytes: number }>(
    `SELECT sum(bytes_on_disk) AS bytes FROM system.parts
     WHERE database = currentDatabase() AND active`,
  );
  return Number(row?.bytes ?? 0);
}

/** The migrations the store recorded as applied: the schema its rows were written under. */
async function appliedMigrations(store: Store): Promise<DatasetMarker['migrations']> {
  const rows = await store.query<{ version: number; name: string; checksum: string }>(
    `SELECT version, any(name) AS name, any(checksum) AS checksum
     FROM schema_migrations GROUP BY version ORDER BY version`,
  );
  return rows.map((row) => ({
    version: Number(row.version),
    name: row.name,
    checksum: row.checksum,
  }));
}

async function build(): Promise<DatasetMarker> {
  const reason = staleReason(dir, spec);
  if (reason === undefined) throw new Error(`${dir} is complete already`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(DATASET_ROOT, { recursive: true });
  process.stderr.write(
    `  building ${spec.customers.toLocaleString('en-US')} people (seed ${spec.seed}, up to ` +
      `${DATASET_END}) into ${dir}, ${rowsPerInsert.toLocaleString('en-US')} rows per insert\n`,
  );

  const started = performance.now();
  const store = await openStore({
    mode: 'embedded',
    dataDir: dir,
    database: 'rapport',
    readConnections: 1,
  });
  try {
    await migrate(store, migrationsDir);
    const validate = createValidateEventStep();
    const normalize = createNormalizeEventStep({
      reportingCurrency: 'USD',
      currencyRates: { USD: 1 },
    });
    let people = 0;
    let identified = 0;
    const events = generateEvents({
      seed: spec.seed,
      customers: spec.customers,
      end: DATASET_END,
      onCustomer: (truth) => {
        people++;
        if (truth.customerId !== undefined) identified++;
      },
    });
    const report = progress(started);
    let rows = 0;
    let inserts = 0;
    // One insert in flight while the next batch is generated: the store works on its own
    // threads, so generating and inserting overlap.
    let pending: Promise<void> | undefined;
    for (let done = false; !done;) {
      const lines: string[] = [];
      while (lines.length < rowsPerInsert) {
        const next = events.next();
        if (next.done === true) {
          done = true;
          break;
        }
        const valid = validate(next.value);
        const stored = valid.ok ? normalize(valid.value, DATASET_RECEIVED_AT) : valid;
        if (!stored.ok) {
          throw new Error(`a generated event is refused: ${JSON.stringify(stored.errors)}`);
        }
        lines.push(JSON.stringify(stored.value));
      }
      await pending;
      report(rows, people);
      if (lines.length === 0) break;
      pending = store.insertJsonLines('events', Buffer.from(lines.join('\n')));
      // Handled when awaited above; this keeps a failure from counting as unhandled meanwhile.
      pending.catch(() => undefined);
      rows += lines.length;
      inserts++;
    }
    await pending;
    const seconds = (performance.now() - started) / 1000;
    report(rows, people, true);
    if (process.stderr.isTTY) process.stderr.write('\n');

    const [count] = await store.query<{ rows: number }>('SELECT count() AS rows FROM events');
    if (Number(count?.rows) !== rows) {
      throw new Error(`the store holds ${String(count?.rows)} events; ${rows} were inserted`);
    }
    process.stderr.write('  waiting for background merges to settle…\n');
    await settle(store, 300);
    const marker: DatasetMarker = {
      customers: spec.customers,
      seed: spec.seed,
      end: DATASET_END,
      identifiedCustomers: identified,
      rows,
      inserts,
      rowsPerInsert,
      seconds: round(seconds, 1),
      rowsPerSecond: Math.round(rows / seconds),
      peakRssMiB: toMiB(peakRssBytes()),
      parts: await activeParts(store),
      diskMiB: toMiB(await diskBytes(store)) ?? 0,
      builtAt: new Date().toISOString(),
      migrations: await appliedMigrations(store),
    };
    return marker;
  } finally {
    await store.close();
  }
}

const marker = await build();
// Written last, once the store is closed: its presence means every row is in.
await writeFile(join(dir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
process.stderr.write(
  `  built: ${marker.rows.toLocaleString('en-US')} rows in ${marker.seconds} s ` +
    `(${marker.rowsPerSecond.toLocaleString('en-US')} rows/s), ${marker.diskMiB} MiB on disk\n`,
);
process.stdout.write(`${JSON.stringify({ dataset: marker })}\n`);
