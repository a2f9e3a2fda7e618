import { describe, expect, it } from 'vitest';
import { heavyQueryGate, heavyQueryThreads } from './heavy-query-threads.js';

describe('the threads of a heavy query', () => {
  it('are as configured, else one per core where they run at low priority, else one', () => {
    expect(heavyQueryThreads(3, 'embedded', () => false)).toBe(3);
    expect(heavyQueryThreads(1, 'http')).toBe(1);
    expect(heavyQueryThreads(undefined, 'embedded', () => true)).toBe(0);
    expect(heavyQueryThreads(undefined, 'embedded', () => false)).toBe(1);
    expect(heavyQueryThreads(undefined, 'http', () => false)).toBe(0);
  });

  it('make the gate of a service', () => {
    const limits = { concurrency: 1, queueMs: 200, maxMemoryBytes: 1 << 30 };
    expect(heavyQueryGate({ ...limits, threads: undefined }, 'http').settings).toMatch(
      /, max_threads = 0,/,
    );
    expect(heavyQueryGate({ ...limits, threads: 2 }, 'embedded').settings).toMatch(
      /, max_threads = 2,/,
    );
    const warnings: string[] = [];
    const held = heavyQueryGate(
      { ...limits, threads: undefined },
      'embedded',
      (message) => warnings.push(message),
      () => false,
    );
    expect(held.settings).toMatch(/, max_threads = 1,/);
    expect(warnings).toEqual([expect.stringMatching(/one thread each: without CAP_SYS_NICE/)]);
    heavyQueryGate(
      { ...limits, threads: 1 },
      'embedded',
      (m) => warnings.push(m),
      () => false,
    );
    expect(warnings).toHaveLength(1);
  });
});
