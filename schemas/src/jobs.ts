import { z } from 'zod';

export const runRecordSchema = z.object({
  runId: z.string(),
  job: z.string(),
  params: z.record(z.string(), z.unknown()),
  trigger: z.enum(['api', 'cli', 'schedule', 'segment-saved']),
  status: z.enum(['running', 'succeeded', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  rowsWritten: z.number().int(),
  phases: z.array(z.object({ name: z.string(), seconds: z.number() })),
  progress: z
    .object({ phase: z.string(), done: z.number().int(), total: z.number().int() })
    .nullable()
    .describe('while running: the phase under way'),
  summary: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
});
/** A job run as recorded in `job_runs` (and, while it runs, as its runner sees it). */
export type RunRecord = z.infer<typeof runRecordSchema>;
export type RunStatus = RunRecord['status'];
export type RunTrigger = RunRecord['trigger'];
export type PhaseTiming = RunRecord['phases'][number];

export const jobListSchema = z.object({
  jobs: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      phases: z.array(z.string()),
      schedule: z.string().nullable().describe('cron expression (UTC), if scheduled'),
      nextRunAt: z.string().nullable(),
      lastRun: runRecordSchema.nullable(),
    }),
  ),
});

export const runListQuerySchema = z.object({
  job: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const rfmReportQuerySchema = z.object({
  runId: z
    .string()
    .max(64)
    .optional()
    .describe('a run of the rfm job; the latest successful one by default'),
});

export const rfmReportSchema = z.object({
  runId: z.string(),
  asOf: z.string(),
  computedAt: z.string().nullable(),
  currency: z.string(),
  customers: z.number().int(),
  grid: z
    .array(
      z.object({
        r: z.number().int(),
        f: z.number().int(),
        customers: z.number().int(),
        monetary: z.number(),
      }),
    )
    .describe('all 25 recency × frequency cells, empty ones included'),
  segments: z.array(
    z.object({
      segment: z.string(),
      customers: z.number().int(),
      share: z.number().describe('of scored customers'),
      monetary: z.number(),
      averageMonetary: z.number(),
    }),
  ),
});
export type RfmReport = z.infer<typeof rfmReportSchema>;

export const clvReportQuerySchema = z.object({
  runId: z
    .string()
    .max(64)
    .optional()
    .describe('a run of the clv job; the latest successful one by default'),
  top: z.coerce.number().int().min(1).max(1000).default(20).describe('top customers by CLV'),
});

const clvBucketSchema = z.object({
  from: z.number(),
  to: z.number(),
  customers: z.number().int(),
  clv: z.number().describe('sum of CLV in the bucket'),
});

export const clvReportSchema = z.object({
  runId: z.string(),
  asOf: z.string(),
  computedAt: z.string().nullable(),
  currency: z.string(),
  params: z
    .record(z.string(), z.unknown())
    .describe(
      'timeUnit, horizon (time units), discountRate (annual), calibrationEnd, sampleSize, purchaseGrouping',
    ),
  customers: z.number().int(),
  totals: z.object({
    expectedOrders: z.number().describe('over the horizon, all customers'),
    expectedValue: z.number().describe('expected revenue over the horizon, undiscounted'),
    clv: z.number().describe('expected revenue over the horizon, discounted'),
    meanPAlive: z.number(),
  }),
  clvDeciles: z
    .array(
      z.object({
        decile: z.number().int().describe('10 = the most valuable tenth'),
        customers: z.number().int(),
        minClv: z.number(),
        maxClv: z.number(),
        clv: z.number(),
        share: z.number().describe('of the total CLV'),
      }),
    )
    .describe('customers ranked by CLV, in tenths'),
  pAliveHistogram: z.array(clvBucketSchema).describe('P(alive) in ten buckets of width 0.1'),
  top: z.array(
    z.object({
      customerId: z.string(),
      orders: z.number().int(),
      pAlive: z.number(),
      expectedOrders: z.number(),
      expectedValue: z.number(),
      clv: z.number(),
    }),
  ),
  diagnostics: z
    .record(z.string(), z.unknown())
    .describe('fitted parameters, log-likelihoods, sample and the holdout check of the run'),
});
export type ClvReport = z.infer<typeof clvReportSchema>;
