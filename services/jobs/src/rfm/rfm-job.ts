import { ownersSql } from '@rapport/profiles';
import { isoOf } from '@rapport/schemas';
import { z } from 'zod';
import { defineJob } from '../job.js';
import { allowEmptyParam, asOfParam } from '../job-params.js';
import { rfmSegmentSql } from './rfm-segments.js';

/**
 * Scores every customer with at least one order by the as-of time. Orders placed under an
 * anonymous id count for the customer it was linked to at that time.
 *
 * Quintile rule (deterministic, ties share a score): customers are ranked on each measure,
 * worst first (longest recency, fewest orders, least money); with n customers, a customer
 * whose value first appears at 0-based position p scores 1 + floor(5p / n). Equal values get
 * the score of their first position, so a score never depends on row order.
 */
export function rfmSql(): string {
  return `
INSERT INTO rfm_scores (run_id, customer_id, as_of, recency_days, frequency, monetary, r, f, m, score, segment)
SELECT
    {runId:String} AS run_id, customer_id, fromUnixTimestamp64Milli({asOf:Int64}, 'UTC') AS as_of,
    recency_days, frequency, monetary, r, f, m,
    concat(toString(r), toString(f), toString(m)) AS score,
    ${rfmSegmentSql()} AS segment
FROM
(
    SELECT
        customer_id, recency_days, frequency, monetary,
        toUInt8(1 + intDiv(5 * (rank() OVER (ORDER BY recency_days DESC) - 1), count() OVER ())) AS r,
        toUInt8(1 + intDiv(5 * (rank() OVER (ORDER BY frequency ASC) - 1), count() OVER ())) AS f,
        toUInt8(1 + intDiv(5 * (rank() OVER (ORDER BY monetary ASC) - 1), count() OVER ())) AS m
    FROM
    (
        SELECT
            if(e.customer_id != '', e.customer_id, owners.owner) AS customer_id,
            toUInt32(countIf(e.type = 'purchase')) AS frequency,
            toUInt32(dateDiff('day', maxIf(e.timestamp, e.type = 'purchase'),
                fromUnixTimestamp64Milli({asOf:Int64}, 'UTC'))) AS recency_days,
            sumIf(toDecimal128(e.amount, 4), e.type = 'purchase')
                - sumIf(toDecimal128(e.amount, 4), e.type = 'refund') AS monetary
        FROM events AS e
        LEFT JOIN (${ownersSql({ asOf: true })}) AS owners ON e.anonymous_id = owners.anonymous_id
        WHERE e.type IN ('purchase', 'refund')
          AND e.timestamp <= fromUnixTimestamp64Milli({asOf:Int64}, 'UTC')
        GROUP BY customer_id
        HAVING customer_id != '' AND frequency > 0
    )
)`;
}

export const rfmJob = defineJob({
  name: 'rfm',
  description:
    'Recency, frequency and monetary scores (1-5) and the named RFM segment of every customer with an order',
  params: z.object({ asOf: asOfParam, allowEmpty: allowEmptyParam }),
  phases: ['score', 'summarize'],
  scored: (summary) => Number(summary.customers),
  async run(context, params) {
    const { store, runId } = context;
    const asOf = Date.parse(params.asOf);
    await context.phase('score', () => store.command(rfmSql(), { runId, asOf }));
    const segments = await context.phase('summarize', () =>
      store.query<{ segment: string; customers: number; monetary: number }>(
        `SELECT segment, count() AS customers, toFloat64(sum(monetary)) AS monetary
         FROM rfm_scores WHERE run_id = {runId:String} GROUP BY segment ORDER BY customers DESC`,
        { runId },
      ),
    );
    const customers = segments.reduce((sum, row) => sum + Number(row.customers), 0);
    context.wrote(customers);
    return {
      asOf: isoOf(asOf),
      customers,
      segments: Object.fromEntries(segments.map((row) => [row.segment, Number(row.customers)])),
    };
  },
});
