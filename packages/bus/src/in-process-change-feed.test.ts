import { setTimeout as sleep } from 'node:timers/promises';
import type { SegmentChange } from '@rapport/schemas';
import { describe, expect, it } from 'vitest';
import { InProcessChangeFeed } from './in-process-change-feed.js';
import { BusUnavailableError } from './port.js';

const change = (n: number): SegmentChange => ({
  id: `run-1:seg-1:c:${n}`,
  segmentId: 'seg-1',
  segmentName: 'Big spenders',
  version: 1,
  change: n % 2 === 0 ? 'entered' : 'exited',
  customerId: String(n),
  anonymousId: null,
  at: '2025-01-01T00:00:00.000Z',
  runId: 'run-1',
});
const page = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => change(from + i));

describe('InProcessChangeFeed', () => {
  it('hands every listener the pages in the order they were published', async () => {
    const feed = new InProcessChangeFeed();
    const first: string[][] = [];
    const second: string[][] = [];
    feed.subscribe(async (changes) => {
      // Slow for the first page: a later page must still come after it.
      if (first.length === 0) await sleep(30);
      first.push(changes.map((c) => c.id));
    });
    feed.subscribe((changes) => {
      second.push(changes.map((c) => c.id));
    });
    const pages = [page(0, 3), page(3, 2), page(5, 4)];
    // Published without waiting in between: the feed still keeps them in order.
    await Promise.all(pages.map((p) => feed.publish(p)));
    const expected = pages.map((p) => p.map((c) => c.id));
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
  });

  it('awaits the listeners one after the other before publish resolves', async () => {
    const feed = new InProcessChangeFeed();
    const log: string[] = [];
    feed.subscribe(async () => {
      log.push('a start');
      await sleep(20);
      log.push('a end');
    });
    feed.subscribe(async () => {
      log.push('b start');
      await sleep(5);
      log.push('b end');
    });
    await feed.publish(page(0, 1));
    log.push('published');
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'published']);
  });

  it('stops handing pages to a listener that unsubscribed', async () => {
    const feed = new InProcessChangeFeed();
    const seen: number[] = [];
    const unsubscribe = feed.subscribe((changes) => {
      seen.push(changes.length);
    });
    await feed.publish(page(0, 2));
    unsubscribe();
    await feed.publish(page(2, 5));
    expect(seen).toEqual([2]);
  });

  it('rejects when a listener fails, after the other listeners had the page', async () => {
    const feed = new InProcessChangeFeed();
    const seen: string[] = [];
    feed.subscribe(() => {
      throw new Error('listener broke');
    });
    feed.subscribe((changes) => {
      seen.push(...changes.map((c) => c.id));
    });
    await expect(feed.publish(page(0, 1))).rejects.toThrow('listener broke');
    expect(seen).toEqual([change(0).id]);
    // The feed goes on with the next page.
    await expect(feed.publish(page(1, 1))).rejects.toThrow('listener broke');
    expect(seen).toEqual([change(0).id, change(1).id]);
  });

  it('finishes the page in hand on close and refuses pages after it', async () => {
    const feed = new InProcessChangeFeed();
    let finished = false;
    feed.subscribe(async () => {
      await sleep(20);
      finished = true;
    });
    const publishing = feed.publish(page(0, 1));
    await feed.close();
    expect(finished).toBe(true);
    await publishing;
    await expect(feed.publish(page(1, 1))).rejects.toBeInstanceOf(BusUnavailableError);
  });
});
