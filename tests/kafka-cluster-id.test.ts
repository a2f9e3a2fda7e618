import { describe, expect, it } from 'vitest';
// @ts-expect-error -- the broker script is plain JavaScript, without types
import * as broker from '../infra/kafka/broker.mjs';

const { newClusterId } = broker as { newClusterId: () => string };

describe("the local broker's cluster id", () => {
  it('never starts with "-", which the storage tool would take for an option', () => {
    // One id in 64 would, unguarded: among 10,000, about 156.
    const ids = Array.from({ length: 10_000 }, () => newClusterId());
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
