import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { DemoError, runDemo } from '@rapport/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

/** `rapport demo` run twice on one engine: the same data again, or a refusal to mix. */

let engine: TestEngine;
let url: string;

beforeAll(async () => {
  engine = await startTestEngine();
  await engine.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(engine.app.server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(() => engine.dispose());

const quiet = () => ({ stdout: new PassThrough(), stderr: new PassThrough() });
const load = (end: string, seed = 7) =>
  runDemo({ url, customers: 60, seed, generator: { end }, ...quiet() });

describe('loading the demo again', () => {
  it('with the same seed and end, reports every event as a duplicate', async () => {
    const first = await load('2024-12-31T23:59:59Z');
    expect(first.accepted).toBeGreaterThan(0);
    const again = await load('2024-12-31T23:59:59Z');
    expect(again).toMatchObject({ accepted: 0, duplicates: first.accepted, rejected: 0 });
  }, 120_000);

  it('with the same seed and another end, refuses before sending anything', async () => {
    const before = await engine.store.query<{ n: number }>('SELECT count() AS n FROM events');
    const other = load('2024-06-30T23:59:59Z');
    await expect(other).rejects.toThrow(DemoError);
    await expect(other).rejects.toThrow(/seed 7 generated for another period/);
    const after = await engine.store.query<{ n: number }>('SELECT count() AS n FROM events');
    expect(Number(after[0]?.n)).toBe(Number(before[0]?.n));
  }, 120_000);

  it('with another seed, loads beside it', async () => {
    const other = await load('2024-06-30T23:59:59Z', 8);
    expect(other.accepted).toBeGreaterThan(0);
    expect(other.duplicates).toBe(0);
  }, 120_000);
});
