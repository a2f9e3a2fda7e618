import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrationsDir } from '@rapport/schemas';
import { loadMigrations } from '@rapport/store';
import { resultLine, runScript } from './child-process.js';

/**
 * A generated data set in an embedded data directory, built once and kept under
 * benchmarks/.data/ for the benchmarks that read a large store (profiles, RFM).
 */
export interface DatasetSpec {
  /** People generated, anonymous visitors included. */
  customers: number;
  seed: number;
}

/** The generated period ends here, whatever the date of the run: the same data every time. */
export const DATASET_END = '2024-12-31T23:59:59Z';
/** Every row is stored as if received one second after the period: rows do not vary by run. */
export const DATASET_RECEIVED_AT = Date.parse(DATASET_END) + 1000;
export const DEFAULT_DATASET_SEED = 1;
export const DATASET_ROOT = fileURLToPath(new URL('../.data/', import.meta.url));
export const MARKER = 'complete.json';

const BUILD_SCRIPT = fileURLToPath(new URL('./dataset-build.ts', import.meta.url));

/** What `complete.json` records once every row is in. */
export interface DatasetMarker {
  customers: number;
  seed: number;
  end: string;
  /** People who identified (have a customer id). */
  identifiedCustomers: number;
  /** Rows in `events`. */
  rows: number;
  inserts: number;
  rowsPerInsert: number;
  /** Wall time of the build, from opening the store to the last insert. */
  seconds: number;
  rowsPerSecond: number;
  /** Peak RSS of the building process. */
  peakRssMiB: number | undefined;
  /** Active parts per table when the build ended (after waiting for merges to settle). */
  parts: Record<string, number>;
  /** Bytes on disk of the data directory. */
  diskMiB: number;
  builtAt: string;
  /** The migrations applied to the store when it was built (see schemaDrift). */
  migrations: { version: number; name: string; checksum: string }[];
}

export function datasetDir(spec: DatasetSpec): string {
  return join(DATASET_ROOT, `customers-${spec.customers}-seed-${spec.seed}`);
}

/** Why the data set in `dir` cannot be used as it is; undefined when it can. */
export function staleReason(dir: string, spec: DatasetSpec): string | undefined {
  const path = join(dir, MARKER);
  if (!existsSync(dir)) return 'not built yet';
  if (!existsSync(path)) return 'its build did not finish';
  let marker: DatasetMarker;
  try {
    marker = JSON.parse(readFileSync(path, 'utf8')) as DatasetMarker;
  } catch {
    return `${MARKER} is unreadable`;
  }
  if (marker.customers !== spec.customers || marker.seed !== spec.seed) {
    return `${MARKER} describes another data set`;
  }
  if (marker.end !== DATASET_END) return `it was generated up to ${marker.end}`;
  return schemaDrift(marker.migrations);
}

/** Statements that change what an insert into `events` leaves behind, or the rows kept. */
const CHANGES_ROWS = /\b(MATERIALIZED\s+VIEW|ALTER\s+TABLE|INSERT\s+INTO|DROP\s+TABLE)\b/i;

/**
 * A migration's own statement that it fills what it adds from the rows already there (its
 * `INSERT … SELECT` makes an upgraded store equal to one built under it): applied on top.
 */
const BACKFILLS = /^--\s*backfills:\s*complete\b/m;

/** A statement that only removes a table or view: a store upgraded by it equals a new one. */
const DROPS = /^\s*DROP\s+(TABLE|VIEW)\b/i;

function backfillsCompletely(migration: { version: number; name: string }): boolean {
  const file = `${String(migration.version).padStart(4, '0')}_${migration.name}.sql`;
  return BACKFILLS.test(readFileSync(join(migrationsDir, file), 'utf8'));
}

/**
 * Why a data set built with `applied` migrations differs from this checkout's schema; undefined
 * when it does not. Every migration it was built with must be unchanged. A newer migration that
 * only adds tables (a job's, say), only drops tables or views, or says it backfills what it adds
 * (`-- backfills: complete`), is applied when the engine opens the store, as on an upgrade; one that adds a
 * materialized view or alters a table otherwise would leave the built rows behind the schema,
 * so the data set is rebuilt.
 */
export function schemaDrift(applied: DatasetMarker['migrations']): string | undefined {
  const current = loadMigrations(migrationsDir);
  for (const migration of applied) {
    const now = current.find((candidate) => candidate.version === migration.version);
    if (now?.name !== migration.name || now.checksum !== migration.checksum) {
      return `it was built with migration ${migration.version}_${migration.name}, which has changed since`;
    }
  }
  for (const migration of current.slice(applied.length)) {
    if (backfillsCompletely(migration)) continue;
    if (migration.statements.every((statement) => DROPS.test(statement))) continue;
    if (migration.statements.some((statement) => CHANGES_ROWS.test(statement))) {
      return `migration ${migration.version}_${migration.name} is newer and changes what the rows hold`;
    }
  }
  return undefined;
}

export function readMarker(dir: string): DatasetMarker {
  return JSON.parse(readFileSync(join(dir, MARKER), 'utf8')) as DatasetMarker;
}

/**
 * The data directory of the data set, built first (in a process of its own, which shows its
 * progress on standard error) unless a complete one of this schema is there already.
 */
export async function ensureDataset(
  spec: DatasetSpec,
  options: { log?: (message: string) => void; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<{ dir: string; marker: DatasetMarker; built: boolean }> {
  const dir = datasetDir(spec);
  const reason = staleReason(dir, spec);
  if (reason === undefined) return { dir, marker: readMarker(dir), built: false };
  options.log?.(`  data set ${dir}: ${reason}; building it…`);
  const run = await runScript(
    BUILD_SCRIPT,
    ['--customers', String(spec.customers), '--seed', String(spec.seed)],
    {
      stderr: 'inherit',
      label: 'the data set build',
      ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
    },
  );
  const marker = resultLine<DatasetMarker>(run.stdout, 'dataset');
  return { dir, marker, built: true };
}
