import { z } from 'zod';

export const erasureSchema = z.object({
  erasureId: z.string(),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  requestedAt: z.string(),
  updatedAt: z.string(),
  receipt: z
    .object({
      tables: z.array(z.object({ table: z.string(), rows: z.number().int() })),
      rowsRemoved: z.number().int(),
      keysSuppressed: z.number().int(),
      seconds: z.number(),
    })
    .nullable()
    .describe('what was removed, per table; no personal data'),
  error: z.string().nullable(),
});

export const erasureQuerySchema = z.object({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(60)
    .default(0)
    .describe('seconds to wait for the erasure to finish before answering (0–60)'),
});

export const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.iso.datetime({ offset: true }).optional().describe('entries older than this'),
  action: z.string().max(200).optional(),
});

export const auditResponseSchema = z.object({
  entries: z.array(
    z.object({
      at: z.string(),
      requestId: z.string(),
      keyName: z.string().describe("the API key's name (never the key)"),
      action: z.string(),
      target: z
        .string()
        .describe('customer and device ids appear as # and the SHA-256 of their key'),
      status: z.number().int(),
    }),
  ),
});
