import { describe, expect, it } from 'vitest';
import { jitteredDelay, retryAfterMs, statusVerdict } from './retry-policy.js';

describe('retry policy', () => {
  it('draws delays between 0 and a step that doubles per attempt up to the maximum', () => {
    const backoff = { initial: 100, max: 1000 };
    const top = (attempt: number) => jitteredDelay({ backoff, attempt, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 6].map(top)).toEqual([99, 199, 399, 799, 999, 999]);
    expect(jitteredDelay({ backoff, attempt: 3, random: () => 0 })).toBe(0);
    expect(jitteredDelay({ backoff, attempt: 3, random: () => 0.5 })).toBe(200);
    for (let i = 0; i < 200; i++) {
      const delay = jitteredDelay({ backoff, attempt: 2, random: Math.random });
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(200);
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-03-01T12:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Sat, 01 Mar 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Sat, 01 Mar 2025 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('retries 408, 429 and 5xx only', () => {
    expect([200, 202, 204].map(statusVerdict)).toEqual(['delivered', 'delivered', 'delivered']);
    expect([408, 429, 500, 502, 503, 504].map(statusVerdict)).toEqual(Array(6).fill('retry'));
    expect([301, 400, 401, 403, 404, 410, 413, 422].map(statusVerdict)).toEqual(
      Array(8).fill('fail'),
    );
  });
});
