import { HttpError } from '@rapport/http';
import type { IngestCandidate } from '../ingest-events.js';
import { createCheckEventDepthStep } from '../steps/check-event-depth-step.js';
import { createCheckEventSizeStep } from '../steps/check-event-size-step.js';
import { mapSegmentMessage, type SegmentCall } from './map-segment-message.js';

/** Segment's limits: 32 KB a message, 500 KB a batch request. */
export const SEGMENT_MAX_MESSAGE_BYTES = 32 * 1024;
export const SEGMENT_MAX_BATCH_BYTES = 500 * 1024;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export interface SegmentRequest {
  body: unknown;
  /** The call a single-message route implies; undefined for a batch. */
  call?: SegmentCall;
  receivedAt: number;
  reportingCurrency: string;
  maxMessages: number;
}

/** The messages of a request body: `{ batch: [...] }` for a batch, else the one message. */
function messagesOf(request: SegmentRequest): { messages: unknown[]; batch: Json } {
  const { body, call } = request;
  if (!isObject(body)) throw new HttpError(400, 'the body must be a JSON object');
  if (call !== undefined) return { messages: [body], batch: {} };
  const { batch } = body;
  if (!Array.isArray(batch)) throw new HttpError(400, '"batch" must be an array of messages');
  if (batch.length === 0) throw new HttpError(400, '"batch" is empty');
  if (batch.length > request.maxMessages) {
    throw new HttpError(
      400,
      `${batch.length} messages in one batch; the limit is ${request.maxMessages} (RAPPORT_MAX_EVENTS_PER_REQUEST)`,
    );
  }
  return { messages: batch, batch: body };
}

const messageIdOf = (message: unknown) => {
  const id = isObject(message) ? message.messageId : undefined;
  return typeof id === 'string' || typeof id === 'number' ? { id: String(id) } : {};
};

/**
 * Segment messages as ingest candidates: each checked for depth and Segment's 32 KB, then
 * mapped; one that fails is rejected by its index, the others go on.
 */
export function createSegmentCandidates() {
  const checkDepth = createCheckEventDepthStep();
  const checkSize = createCheckEventSizeStep(SEGMENT_MAX_MESSAGE_BYTES);
  return function segmentCandidates(request: SegmentRequest): IngestCandidate[] {
    const { messages, batch } = messagesOf(request);
    return messages.map((message): IngestCandidate => {
      const named = messageIdOf(message);
      const shallow = checkDepth(message);
      if (!shallow.ok) return { event: shallow, ...named };
      const sized = checkSize(message);
      if (!sized.ok) return { event: sized, ...named };
      const mapped = mapSegmentMessage(message, {
        receivedAt: request.receivedAt,
        batchSentAt: batch.sentAt,
        batchContext: batch.context,
        reportingCurrency: request.reportingCurrency,
        ...(request.call === undefined ? {} : { call: request.call }),
      });
      if (!mapped.ok) return { event: mapped, ...named };
      return {
        event: { ok: true, value: mapped.value.event },
        fieldOf: mapped.value.fieldOf,
        ...named,
      };
    });
  };
}
