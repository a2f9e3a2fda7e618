/** The nearest-rank percentile (0–100) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export const MIB = 1024 * 1024;

/** Bytes in MiB, one decimal; undefined stays undefined. */
export function toMiB(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : Math.round((bytes / MIB) * 10) / 10;
}
