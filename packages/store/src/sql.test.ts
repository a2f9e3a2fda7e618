import { formatQueryParams } from '@clickhouse/client-common';
import { describe, expect, it } from 'vitest';
import { chunkForUrl, MAX_URL_PARAM_BYTES } from './sql.js';

/** What the client puts in the URL for one Array(String) parameter. */
const urlBytes = (values: string[]) =>
  encodeURIComponent(formatQueryParams({ value: values })).length;

/** A server's default http_max_field_value_size. */
const SERVER_LIMIT = 128 * 1024;

describe('chunkForUrl', () => {
  it('splits 50,000 event ids so that no query carries more than the server takes in its URL', () => {
    const plain = Array.from({ length: 50_000 }, (_, i) => `evt-${String(i).padStart(60, '0')}`);
    // Ids of 64 characters that URL-encode to 9 bytes each, with quotes to escape.
    const wide = Array.from({ length: 5_000 }, (_, i) => `${'é'.repeat(60)}'${i}`.slice(0, 64));
    expect(urlBytes(plain)).toBeGreaterThan(SERVER_LIMIT);
    for (const ids of [plain, wide]) {
      const chunks = chunkForUrl(ids);
      expect(chunks.flat()).toEqual(ids);
      for (const chunk of chunks) expect(urlBytes(chunk)).toBeLessThanOrEqual(MAX_URL_PARAM_BYTES);
    }
  });

  it('keeps a small list whole, and an empty one empty', () => {
    expect(chunkForUrl(['a', 'b'])).toEqual([['a', 'b']]);
    expect(chunkForUrl([])).toEqual([]);
  });
});
