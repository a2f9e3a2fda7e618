import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineParams } from './inline-params.js';
import { openStore, type Store } from './store.js';

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-inline-'));
  store = await openStore({
    mode: 'embedded',
    dataDir: join(dir, 'data'),
    database: 'inline_test',
    readConnections: 2,
  });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const NASTY = `it's a \\'quote\\', a back\\slash, \` a tick, {x:String}, --, /* */, ;\n\t\0 é 😀`;

/** Type, value: each is selected inlined and bound by the engine, and both must agree. */
const CASES: [string, unknown][] = [
  ['String', NASTY],
  ['String', ''],
  ['String', 42],
  ['Int64', -9_007_199_254_740_991],
  ['Int64', '123'],
  ['UInt64', 18],
  ['UInt32', 0],
  ['Float64', 0.1],
  ['Float64', -1e-7],
  ['Bool', false],
  ['String', true],
  ['UInt8', 1],
  ['Decimal(18, 4)', 12_345_678_901.2345],
  ["DateTime64(3, 'UTC')", 1_700_000_000_123],
  ["DateTime64(3, 'UTC')", '2024-03-01 12:00:00.123'],
  ['Array(String)', ['a', "b'c", NASTY, '']],
  ['Array(String)', []],
  ['Array(Float64)', [1.5, -2, 0]],
  ['Array(UInt32)', [1, 2, 3]],
  ['Array(Array(Float64))', [[1.5, 2], [], [3]]],
  ['Map(String, UInt32)', { a: 1, "b'": 2 }],
  ['Map(String, UInt32)', {}],
  ['Nullable(String)', null],
];

describe('query parameters written into the SQL (embedded store)', () => {
  it.each(CASES)('%s %j reads back as the engine binds it', async (type, value) => {
    const sql = `SELECT {v:${type}} AS v, toTypeName({v:${type}}) AS type`;
    expect(inlineParams(sql, { v: value })).not.toContain(`{v:`);
    const inlined = await store.query(sql, { v: value });
    // A JS Date is not written in: the whole statement is then bound by the engine.
    const bound = await store.query<Record<string, unknown>>(`${sql}, {d:DateTime} AS d`, {
      v: value,
      d: new Date(0),
    });
    expect(inlined).toEqual(bound.map(({ v, type: t }) => ({ v, type: t })));
  });

  it('reads a nasty string back unchanged, and does not substitute inside a value', async () => {
    const [row] = await store.query<{ a: string; b: string }>(
      'SELECT {a:String} AS a, {b:String} AS b',
      { a: NASTY, b: '{a:String}' },
    );
    expect(row).toEqual({ a: NASTY, b: '{a:String}' });
  });

  it('quotes identifiers', async () => {
    await store.command('CREATE TABLE {t:Identifier} (x UInt8) ENGINE = Memory', {
      t: 'odd`name',
    });
    const [row] = await store.query<{ n: number }>('SELECT count() AS n FROM {t:Identifier}', {
      t: 'odd`name',
    });
    expect(row?.n).toBe(0);
  });

  it('leaves a statement to the engine when a value or type is not rendered, or missing', () => {
    expect(inlineParams('SELECT {d:DateTime}', { d: new Date(0) })).toBeUndefined();
    expect(inlineParams('SELECT {t:Tuple(UInt8)}', { t: [1] })).toBeUndefined();
    expect(inlineParams('SELECT {s:String}', { s: { an: 'object' } })).toBeUndefined();
    expect(inlineParams('SELECT {s:String}', {})).toBeUndefined();
    // What the engine's binding refuses is refused by it, with its own error.
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, 1e21]) {
      expect(inlineParams('SELECT {f:Float64}', { f: value })).toBeUndefined();
    }
    expect(inlineParams('SELECT {u:UInt8}', { u: true })).toBeUndefined();
    expect(inlineParams('SELECT \'{"json":1}\'', { json: 1 })).toBe('SELECT \'{"json":1}\'');
  });

  it('writes in a list of thousands of values, and leaves one past max_query_size to the engine', async () => {
    const keys = (n: number) => Array.from({ length: n }, (_, i) => `c:customer-${i}@example.com`);
    const sql = 'SELECT length({keys:Array(String)}) AS n';
    const [row] = await store.query<{ n: number }>(sql, { keys: keys(5_000) });
    expect(row?.n).toBe(5_000);
    expect(inlineParams(sql, { keys: keys(20_000) })).toContain('customer-19999');
    expect(inlineParams(sql, { keys: keys(20_000) }, 262_144)).toBeUndefined();
  });

  it('does not hold a look-up behind a long parameterised query on another connection', async () => {
    const finished: string[] = [];
    const slow = store
      .query('SELECT sleepEachRow(0.5) FROM numbers({n:UInt32})', { n: 4 }, 'heavy')
      .then(() => finished.push('slow'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const quick = store
      .query('SELECT {x:String} AS x', { x: 'look-up' })
      .then(() => finished.push('quick'));
    await Promise.all([slow, quick]);
    expect(finished).toEqual(['quick', 'slow']);
  });
});
