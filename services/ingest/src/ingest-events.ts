import { toBusMessage, type BusMessage, type EventBus } from '@rapport/bus';
import type { Config } from '@rapport/config';
import { HttpError } from '@rapport/http';
import type { Metrics } from '@rapport/observability';
import type { IngestResponse, RejectedEvent } from '@rapport/schemas';
import { createCheckEventDepthStep } from './steps/check-event-depth-step.js';
import { createCheckEventSizeStep } from './steps/check-event-size-step.js';
import { createNormalizeEventStep } from './steps/normalize-event-step.js';
import { ok, type FieldError, type RejectReason, type StepResult } from './steps/step-result.js';
import { createValidateEventStep } from './steps/validate-event-step.js';

export interface IngestDeps {
  bus: EventBus;
  limits: Config['ingest'];
  metrics: Metrics;
  /** Server clock in epoch ms (tests pin it). */
  now?: () => number;
}

export interface IngestOutcome {
  /** 200 when any event was stored or already known; 400 when every event was rejected. */
  statusCode: 200 | 400;
  body: IngestResponse;
}

/** The events of a request body: one event, or `{ events: [...] }`. */
function eventsOf(body: unknown, maxEvents: number): unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'the body must be one event object or { "events": [...] }');
  }
  if (!('events' in body)) return [body];
  const { events } = body;
  if (!Array.isArray(events)) throw new HttpError(400, '"events" must be an array of events');
  if (events.length === 0) throw new HttpError(400, '"events" is empty');
  if (events.length > maxEvents) {
    throw new HttpError(
      413,
      `${events.length} events in one request; the limit is ${maxEvents} (RAPPORT_MAX_EVENTS_PER_REQUEST)`,
    );
  }
  return events;
}

function eventIdOf(raw: unknown): string | undefined {
  const id = (raw as { eventId?: unknown } | null)?.eventId;
  return typeof id === 'string' ? id : undefined;
}

/**
 * An event on its way in: the raw event in Rapport's contract (or why a sender's message could
 * not be made one), with how to name it and its fields to the sender when it is rejected.
 */
export interface IngestCandidate {
  event: StepResult<unknown>;
  /** The id the sender knows the event by, reported with a rejection. */
  id?: string;
  /** The sender's name for a field of the event (identity for native events). */
  fieldOf?: (path: string) => string;
}

/**
 * depth → size → validate → normalise → publish, answering for every candidate. Every
 * collector (native, Segment, providers) hands its events to these same steps.
 */
export function createIngestCandidates(deps: Omit<IngestDeps, 'now'>) {
  const checkDepth = createCheckEventDepthStep();
  const checkSize = createCheckEventSizeStep(deps.limits.maxEventBytes);
  const validate = createValidateEventStep();
  const normalize = createNormalizeEventStep(deps.limits);

  function prepare(raw: unknown, receivedAt: number): StepResult<BusMessage> {
    const shallow = checkDepth(raw);
    if (!shallow.ok) return shallow;
    const sized = checkSize(raw);
    if (!sized.ok) return sized;
    const valid = validate(raw);
    if (!valid.ok) return valid;
    const stored = normalize(valid.value, receivedAt);
    if (!stored.ok) return stored;
    return { ok: true, value: toBusMessage(stored.value) };
  }

  return async function ingestCandidates(
    candidates: readonly IngestCandidate[],
    receivedAt: number,
  ): Promise<IngestOutcome> {
    const rejected: RejectedEvent[] = [];
    const reject = (index: number, reason: RejectReason, errors: FieldError[]) => {
      deps.metrics.eventsRejected.inc({ reason });
      const { id, fieldOf } = candidates[index] ?? {};
      const named = fieldOf
        ? errors.map((error) => ({ ...error, path: fieldOf(error.path) }))
        : errors;
      const first = named[0] ?? { path: '', message: 'rejected' };
      rejected.push({
        index,
        ...(id === undefined ? {} : { eventId: id }),
        path: first.path,
        message: first.message,
        errors: named,
      });
    };
    const messages: BusMessage[] = [];
    const positions: number[] = [];
    candidates.forEach((candidate, index) => {
      const result = candidate.event.ok
        ? prepare(candidate.event.value, receivedAt)
        : candidate.event;
      if (!result.ok) return reject(index, result.reason, result.errors);
      messages.push(result.value);
      positions.push(index);
    });

    let accepted = 0;
    let duplicates = 0;
    if (messages.length > 0) {
      // A BusUnavailableError becomes 503 + Retry-After, so producers back off and retry.
      const { outcomes } = await deps.bus.publish(messages);
      messages.forEach((message, index) => {
        const outcome = outcomes?.[index];
        if (outcome === 'duplicate') {
          duplicates++;
          deps.metrics.eventsDuplicate.inc();
        } else if (typeof outcome === 'object') {
          // The store refused this event alone; the others of its batch were written.
          reject(positions[index]!, 'store_rejected', [
            { path: '', message: outcome.deadLettered },
          ]);
        } else {
          accepted++;
          deps.metrics.eventsAccepted.inc({ type: message.type });
        }
      });
      rejected.sort((a, b) => a.index - b.index);
    }
    return {
      statusCode: accepted + duplicates === 0 ? 400 : 200,
      body: { accepted, duplicates, rejected },
    };
  };
}

/** The native collector: one event, or `{ events: [...] }`. */
export function createIngestEvents(deps: IngestDeps) {
  const ingestCandidates = createIngestCandidates(deps);
  const now = deps.now ?? Date.now;
  return async function ingestEvents(body: unknown): Promise<IngestOutcome> {
    const events = eventsOf(body, deps.limits.maxEventsPerRequest);
    const candidates = events.map((raw) => {
      const id = eventIdOf(raw);
      return { event: ok(raw), ...(id === undefined ? {} : { id }) };
    });
    return ingestCandidates(candidates, now());
  };
}
