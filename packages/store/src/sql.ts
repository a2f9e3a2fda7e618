/**
 * `YYYY-MM-DD hh:mm:ss.sss` in UTC: the text form DateTime64(3) parameters accept without
 * losing milliseconds (a Date object loses them; an ISO string with `Z` does not parse).
 */
export function formatDateTime64(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Bytes an `Array(String)` parameter may take in a query's URL. `@clickhouse/client` sends
 * bound parameters in the URL, and a server refuses a field longer than
 * `http_max_field_value_size` (128 KiB by default): half of it leaves room for the rest.
 */
export const MAX_URL_PARAM_BYTES = 64 * 1024;

/**
 * Splits values bound as one `Array(String)` parameter into runs whose URL-encoded form stays
 * within `maxBytes`, so that a look-up of thousands of ids is several queries, not one
 * refused by the server.
 */
export function chunkForUrl(values: readonly string[], maxBytes = MAX_URL_PARAM_BYTES): string[][] {
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let bytes = 2; // the brackets
  for (const value of values) {
    // Quoted, escaped, URL-encoded, and a comma.
    const size = encodeURIComponent(`'${value.replace(/[\\']/g, '\\$&')}'`).length + 3;
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 2;
    }
    chunk.push(value);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
