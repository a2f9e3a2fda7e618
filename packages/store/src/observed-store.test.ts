import { Metrics } from '@rapport/observability';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { observeStatements } from './observed-store.js';
import type { Lane, QueryParams, Store } from './store.js';

/** A store whose statements take `ms` each (or fail), recording what it was asked. */
function slowStore(ms: number, fail = false) {
  const calls: { sql: string; params: QueryParams | undefined; lane: Lane | undefined }[] = [];
  const run = async (sql: string, params?: QueryParams, lane?: Lane) => {
    calls.push({ sql, params, lane });
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (fail) throw new Error('statement failed');
  };
  let closed = 0;
  const store: Store = {
    mode: 'embedded',
    database: 'rapport_test',
    opening: { dataDir: '/data', token: 'now', previous: null },
    query: async <T>(sql: string, params?: QueryParams, lane?: Lane) => {
      await run(sql, params, lane);
      return [{ n: 1 }] as T[];
    },
    command: run,
    insertJsonLines: async () => {},
    ping: async () => {},
    close: async () => {
      closed += 1;
    },
  };
  return { store, calls, closed: () => closed };
}

function observed(inner: Store, slowMs: number) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const metrics = new Metrics();
  return { store: observeStatements(inner, { logger, metrics, slowMs }), lines, metrics };
}

async function statementCount(metrics: Metrics, lane: string, kind: string) {
  const metric = await metrics.storeStatementSeconds.get();
  const count = metric.values.find(
    (value) =>
      value.metricName === 'rapport_store_statement_duration_seconds_count' &&
      value.labels.lane === lane &&
      value.labels.kind === kind,
  );
  return count?.value ?? 0;
}

describe('observeStatements', () => {
  it('logs a slow statement with its lane and SQL, never the values bound to it', async () => {
    const inner = slowStore(60);
    const { store, lines, metrics } = observed(inner.store, 40);
    const rows = await store.query(
      'SELECT *\n  FROM profile_rows\n  WHERE customer_id = {id:String}',
      { id: 'alice@example.com' },
      'heavy',
    );
    expect(rows).toEqual([{ n: 1 }]);
    expect(inner.calls).toEqual([
      {
        sql: 'SELECT *\n  FROM profile_rows\n  WHERE customer_id = {id:String}',
        params: { id: 'alice@example.com' },
        lane: 'heavy',
      },
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'slow statement',
      lane: 'heavy',
      kind: 'query',
      failed: false,
      statement: 'SELECT * FROM profile_rows WHERE customer_id = {id:String}',
    });
    expect(lines[0]!.ms).toBeGreaterThanOrEqual(40);
    expect(JSON.stringify(lines)).not.toContain('alice');
    expect(await statementCount(metrics, 'heavy', 'query')).toBe(1);
  });

  it('times every statement but logs none under the threshold, nor any at 0', async () => {
    const fast = observed(slowStore(1).store, 1000);
    await fast.store.query('SELECT 1');
    await fast.store.command('OPTIMIZE TABLE events');
    expect(fast.lines).toEqual([]);
    // Without a lane, a query is a read and a command a write, as the store takes them.
    expect(await statementCount(fast.metrics, 'read', 'query')).toBe(1);
    expect(await statementCount(fast.metrics, 'write', 'command')).toBe(1);

    const off = observed(slowStore(30).store, 0);
    await off.store.query('SELECT 1', undefined, 'jobs');
    expect(off.lines).toEqual([]);
    expect(await statementCount(off.metrics, 'jobs', 'query')).toBe(1);
  });

  it('passes a failure on, logged as failed when it was slow', async () => {
    const { store, lines } = observed(slowStore(30, true).store, 10);
    await expect(
      store.command('ALTER TABLE events DELETE WHERE 1', undefined, 'jobs'),
    ).rejects.toThrow('statement failed');
    expect(lines).toMatchObject([{ lane: 'jobs', kind: 'command', failed: true }]);
  });

  it('leaves the rest of the store as it is', async () => {
    const inner = slowStore(1);
    const { store } = observed(inner.store, 1000);
    expect(store.mode).toBe('embedded');
    expect(store.database).toBe('rapport_test');
    expect(store.opening).toBe(inner.store.opening);
    await store.close();
    expect(inner.closed()).toBe(1);
  });
});
