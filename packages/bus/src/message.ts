import type { StoredEvent } from '@rapport/schemas';
import type { BusMessage } from './port.js';

/** The bus message for a stored event: keyed by customer, its value the event's JSON. */
export function toBusMessage(event: StoredEvent): BusMessage {
  return {
    key: event.customer_key,
    eventId: event.event_id,
    type: event.type,
    ...(event.anonymous_id === '' ? {} : { anonymousId: event.anonymous_id }),
    value: JSON.stringify(event),
  };
}
