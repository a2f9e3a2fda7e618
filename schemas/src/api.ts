import { z } from 'zod';
import { CHANNELS, STORED_EVENT_TYPES } from './events.js';

export const errorResponseSchema = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
  requestId: z.string().optional(),
  issues: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .optional()
    .describe('every problem found, each with the JSON Pointer of the part at fault'),
});

export const fieldErrorSchema = z.object({
  path: z.string().describe('dotted path of the field at fault; empty for the event as a whole'),
  message: z.string(),
});

export const rejectedEventSchema = z.object({
  index: z.number().int().describe('position of the event in the request (0 for a single event)'),
  eventId: z.string().optional(),
  path: z.string().describe('the first field at fault'),
  message: z.string(),
  errors: z.array(fieldErrorSchema).describe('every field at fault'),
});

export const ingestResponseSchema = z.object({
  accepted: z.number().int().describe('events newly stored'),
  duplicates: z.number().int().describe('events already stored earlier (same eventId)'),
  rejected: z.array(rejectedEventSchema),
});
export type IngestResponse = z.infer<typeof ingestResponseSchema>;
export type RejectedEvent = z.infer<typeof rejectedEventSchema>;

export const timelineQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z
    .string()
    .max(200)
    .optional()
    .describe('an ISO-8601 date-time, or the `next` cursor of the previous page'),
});

export const timelineEventSchema = z.object({
  eventId: z.string(),
  type: z.enum(STORED_EVENT_TYPES),
  customerId: z.string().nullable(),
  anonymousId: z.string().nullable(),
  timestamp: z.string(),
  receivedAt: z.string(),
  channel: z.enum(CHANNELS),
  context: z.record(z.string(), z.unknown()),
  properties: z.record(z.string(), z.unknown()),
});

export const timelineResponseSchema = z.object({
  customerId: z.string(),
  linkedAnonymousIds: z.array(z.string()),
  events: z.array(timelineEventSchema),
  next: z.string().nullable().describe('pass as `before` to read the next, older page'),
});
export type TimelineEvent = z.infer<typeof timelineEventSchema>;
export type TimelineResponse = z.infer<typeof timelineResponseSchema>;
