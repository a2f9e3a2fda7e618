import type { Profile } from '@rapport/schemas';
import { describe, expect, it } from 'vitest';
import { ProfileCache } from './profile-cache.js';

const profile = (customerId: string, anonymousIds: string[] = []) =>
  ({ customerId, anonymousIds, traits: { note: 'x'.repeat(100) } }) as unknown as Profile;

describe('ProfileCache', () => {
  it('reads through once and serves the cached profile after', async () => {
    const cache = new ProfileCache({ maxBytes: 1_000_000 });
    let reads = 0;
    const read = () => Promise.resolve((reads++, profile('c1')));
    await cache.load('c1', read);
    await cache.load('c1', read);
    expect(reads).toBe(1);
    expect(cache.hits).toBe(1);
  });

  it('shares one read among concurrent loads of a customer', async () => {
    const cache = new ProfileCache({ maxBytes: 1_000_000 });
    let reads = 0;
    const read = async () => {
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return profile('c1');
    };
    await Promise.all([cache.load('c1', read), cache.load('c1', read), cache.load('c1', read)]);
    expect(reads).toBe(1);
  });

  it('drops a profile when its customer key or one of its anonymous ids is touched', async () => {
    const cache = new ProfileCache({ maxBytes: 1_000_000 });
    await cache.load('c1', () => Promise.resolve(profile('c1', ['a1'])));
    await cache.load('c2', () => Promise.resolve(profile('c2')));
    expect(cache.invalidate(['a:a1'])).toEqual(['c1']);
    expect(cache.invalidate(['c:c2', 'c:unknown'])).toEqual(['c2']);
    expect(cache.size).toBe(0);
  });

  it('keeps a load that an invalidation overtook out of the cache', async () => {
    const cache = new ProfileCache({ maxBytes: 1_000_000 });
    let release: () => void = () => undefined;
    const slow = cache.load('c1', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return profile('c1');
    });
    cache.invalidate(['c:c1']);
    release();
    await slow;
    expect(cache.size).toBe(0);
    // An anonymous id the cache cannot place may belong to a load under way.
    const other = cache.load('c2', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return profile('c2', ['a9']);
    });
    cache.invalidate(['a:a9']);
    release();
    await other;
    expect(cache.size).toBe(0);
  });

  it('counts a hit it answers, and leaves a miss to the load that follows', async () => {
    const cache = new ProfileCache({ maxBytes: 1_000_000 });
    expect(cache.hit('c1')).toBeUndefined();
    expect([cache.hits, cache.misses]).toEqual([0, 0]);
    const loaded = await cache.load('c1', () => Promise.resolve(profile('c1')));
    expect([cache.hits, cache.misses]).toEqual([0, 1]);
    // The cached profile itself, frozen: it is answered as it is.
    expect(cache.hit('c1')).toBe(loaded);
    expect(Object.isFrozen(loaded)).toBe(true);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('stays within its memory bound, dropping the least recently used', async () => {
    const cache = new ProfileCache({ maxBytes: 5_000 });
    for (let i = 0; i < 50; i++) await cache.load(`c${i}`, () => Promise.resolve(profile(`c${i}`)));
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.size).toBeLessThan(50);
    expect(cache.get('c49')).toBeDefined();
    expect(cache.get('c0')).toBeUndefined();
  });
});
