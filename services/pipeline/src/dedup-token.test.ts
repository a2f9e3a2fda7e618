import { describe, expect, it } from 'vitest';
import { dedupTokenOf, type LogRange } from './dedup-token.js';

const range = (
  partition: number,
  first: number,
  last: number,
  topic = 'rapport.events.v1',
): LogRange => ({
  topic,
  partition,
  firstOffset: String(first),
  lastOffset: String(last),
});

describe('insert deduplication token', () => {
  it('names one Kafka batch by topic, partition, first and last offset, and the ids it writes', () => {
    const token = dedupTokenOf([range(3, 100, 149)], ['e-1', 'e-2']);
    expect(token).toMatch(/^rapport\.events\.v1-3-100-149~[0-9a-f]{16}$/);
    expect(dedupTokenOf([range(3, 100, 149)], ['e-1', 'e-2'])).toBe(token);
  });

  it('differs when the same offsets write other events (a topic made anew, a partial retry)', () => {
    const all = dedupTokenOf([range(0, 0, 9)], ['a', 'b']);
    expect(dedupTokenOf([range(0, 0, 9)], ['b'])).not.toBe(all);
    expect(dedupTokenOf([range(0, 0, 9)], ['x', 'y'])).not.toBe(all);
  });

  it('joins adjacent ranges of merged writes, lists the others exactly, in a stable order', () => {
    const ids = ['e'];
    const token = dedupTokenOf(
      [range(1, 5, 9), range(0, 0, 4), range(0, 5, 7), range(0, 20, 21)],
      ids,
    );
    expect(token?.split('~')[0]).toBe(
      'rapport.events.v1-0-0-7,rapport.events.v1-0-20-21,rapport.events.v1-1-5-9',
    );
    // A wider range would name rows the insert does not hold: never widened over a gap.
    expect(token).not.toBe(dedupTokenOf([range(0, 0, 21), range(1, 5, 9)], ids));
  });

  it('compares 64-bit offsets as numbers, not text', () => {
    const huge = {
      topic: 'rapport.events.v1',
      partition: 0,
      firstOffset: '9007199254740993',
      lastOffset: '9007199254740993',
    };
    const token = dedupTokenOf([huge, range(0, 10, 11)], ['e']);
    expect(token?.startsWith('rapport.events.v1-0-10-11,')).toBe(true);
  });

  it('is a digest past a handful of ranges, and absent when a message has no position', () => {
    const many = Array.from({ length: 12 }, (_, index) => range(index, 0, 0));
    expect(dedupTokenOf(many, ['e'])).toMatch(/^ranges-[0-9a-f]{64}~[0-9a-f]{16}$/);
    expect(dedupTokenOf([range(0, 0, 1), undefined], ['e'])).toBeUndefined();
    expect(dedupTokenOf([], ['e'])).toBeUndefined();
  });
});
