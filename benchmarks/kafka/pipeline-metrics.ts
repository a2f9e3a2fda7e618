import { fetchMetrics, metricValue } from '../lib/metrics.js';

/** What the pipeline's /metrics say at one moment. */
export interface PipelineSample {
  /** Milliseconds since the timed run began. */
  atMs: number;
  /** Events written to `events` so far (rows of its batch writer's writes). */
  rows: number;
  /** Writes to `events` so far. */
  writes: number;
  /** Consumer lag summed over the partitions, read from the broker. */
  lag: number;
  /** The same as the pipeline's /metrics report it. */
  reportedLag: number;
  /** CPU seconds of the pipeline process so far. */
  cpuSeconds: number;
}

const LAG = 'rapport_bus_consumer_lag_messages';

export async function samplePipeline(options: {
  origin: string;
  atMs: number;
  cpuSeconds: number;
  readLag: () => Promise<number>;
}): Promise<PipelineSample> {
  const [text, lag] = await Promise.all([fetchMetrics(options.origin), options.readLag()]);
  const events = { table: 'events' };
  const reportedLag = text
    .split('\n')
    .filter((line) => line.startsWith(`${LAG}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return {
    atMs: options.atMs,
    rows: metricValue(text, 'rapport_store_batch_rows_sum', events),
    writes: metricValue(text, 'rapport_store_batch_rows_count', events),
    lag,
    reportedLag,
    cpuSeconds: options.cpuSeconds,
  };
}
