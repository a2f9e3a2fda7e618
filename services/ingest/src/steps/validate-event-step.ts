import { eventSchema, EVENT_TYPES, type Event } from '@rapport/schemas';
import type { z } from 'zod';
import { ok, reject, type FieldError, type StepResult } from './step-result.js';

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message }));
}

/** Validates one event against the v1 contract. */
export function createValidateEventStep() {
  return function validateEventStep(raw: unknown): StepResult<Event> {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      return reject('invalid', { path: '', message: 'an event must be a JSON object' });
    }
    const type = (raw as { type?: unknown }).type;
    if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
      return reject('invalid', {
        path: 'type',
        message: type === undefined ? 'is required' : `must be one of ${EVENT_TYPES.join(', ')}`,
      });
    }
    const parsed = eventSchema.safeParse(raw);
    return parsed.success
      ? ok(withTraitsInProperties(parsed.data))
      : reject('invalid', ...fieldErrors(parsed.error));
  };
}

/**
 * An identify's traits live in `properties.traits`; Segment sends them at the top level. Those
 * are moved there (a trait named in both keeps its `properties.traits` value), so they are
 * stored, not dropped.
 */
function withTraitsInProperties(event: Event): Event {
  if (event.type !== 'identify' || event.traits === undefined) return event;
  const { traits, ...rest } = event;
  return {
    ...rest,
    properties: { ...rest.properties, traits: { ...traits, ...rest.properties?.traits } },
  };
}
