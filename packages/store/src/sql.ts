/**
 * `YYYY-MM-DD hh:mm:ss.sss` in UTC: the text form DateTime64(3) parameters accept without
 * losing milliseconds (a Date object loses them; an ISO string with `Z` does not parse).
 */
export function formatDateTime64(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '');
}
