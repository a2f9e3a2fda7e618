import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationsDir } from '@rapport/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterLedger, renderMigrations } from './cluster-ddl.js';
import { loadMigrations } from './migrations.js';
import { openStore, type Store } from './store.js';

// No cluster runs here, but the engine's own parser can check every rendered statement.
let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-cluster-ddl-'));
  store = await openStore({ mode: 'embedded', dataDir: dir, database: 'ddl', readConnections: 1 });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cluster DDL', () => {
  it('parses as ClickHouse SQL, statement by statement', async () => {
    const target = { cluster: 'rapport', database: 'crm' };
    const statements = [
      clusterLedger(target),
      ...renderMigrations(loadMigrations(migrationsDir), target).flatMap((m) => m.statements),
    ];
    for (const statement of statements) {
      const [row] = await store.query<{ formatted: string }>(
        'SELECT formatQuery({sql:String}) AS formatted',
        { sql: statement },
      );
      // A backfill (INSERT … SELECT) goes through the distributed tables, unchanged.
      if (statement.startsWith('INSERT ')) expect(row?.formatted, statement).toMatch(/^INSERT/);
      else expect(row?.formatted, statement).toMatch(/ON CLUSTER rapport/);
    }
  });
});
