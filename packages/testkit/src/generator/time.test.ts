import { describe, expect, it } from 'vitest';
import { isoSeconds, toEpochMs } from './time.js';

describe('isoSeconds', () => {
  it('formats like Date#toISOString, to the second, in UTC with Z', () => {
    const samples = [0, 951_782_400_000, 1_704_067_199_999, 1_709_164_800_000, 1_735_689_599_000];
    for (let ms = 1_600_000_000_000; ms < 1_800_000_000_000; ms += 7_777_777_777) samples.push(ms);
    for (const ms of samples) {
      expect(isoSeconds(ms)).toBe(`${new Date(ms).toISOString().slice(0, 19)}Z`);
      const second = ms - (ms % 1000);
      expect(isoSeconds(second + 999)).toBe(isoSeconds(second));
    }
  });
});

describe('toEpochMs', () => {
  it('reads dates, ISO strings and numbers, and rejects the rest', () => {
    expect(toEpochMs('2024-12-31T23:59:59Z', 'end')).toBe(Date.UTC(2024, 11, 31, 23, 59, 59));
    expect(toEpochMs(new Date(5), 'end')).toBe(5);
    expect(toEpochMs(7, 'end')).toBe(7);
    expect(() => toEpochMs('soon', 'end')).toThrow(/end is not a valid date/);
  });
});
