import { fetchMetrics, metricValue } from '../lib/metrics.js';

/** The engine's store-writer counters, read from its Prometheus metrics. */
export interface StoreWriterCounters {
  /** Batches written to `events`. */
  writes: number;
  /** Rows in those batches. */
  rows: number;
  /** Time spent writing them (dedup lookup and insert), seconds. */
  seconds: number;
}

export async function readStoreWriterCounters(origin: string): Promise<StoreWriterCounters> {
  const text = await fetchMetrics(origin);
  const events = { table: 'events' };
  return {
    writes: metricValue(text, 'rapport_store_batch_rows_count', events),
    rows: metricValue(text, 'rapport_store_batch_rows_sum', events),
    seconds: metricValue(text, 'rapport_store_insert_duration_seconds_sum', events),
  };
}

export function difference(after: StoreWriterCounters, before: StoreWriterCounters) {
  return {
    writes: after.writes - before.writes,
    rows: after.rows - before.rows,
    seconds: after.seconds - before.seconds,
  };
}
