import type { EventInput } from '@rapport/schemas';
import { isoSeconds } from './time.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event before it has a time and an id. */
export type EventDraft = DistributiveOmit<EventInput, 'eventId' | 'timestamp' | 'sentAt'>;

/** Who an event is about: an anonymous device, a known customer, or both (linked). */
export interface Who {
  customerId?: string;
  anonymousId?: string;
}

/**
 * Collects one person's events in any order, then hands them back in time order with
 * timestamps and ids. Events outside the generated period are dropped.
 */
export class Timeline {
  readonly #start: number;
  readonly #end: number;
  #entries: { at: number; draft: EventDraft }[] = [];

  constructor(start: number, end: number) {
    this.#start = start;
    this.#end = end;
  }

  /** Whether an instant lies within the period. */
  covers(at: number): boolean {
    return at >= this.#start && at <= this.#end;
  }

  /** Adds an event at epoch ms `at`; returns false (and drops it) when outside the period. */
  add(at: number, draft: EventDraft): boolean {
    if (!this.covers(at)) return false;
    this.#entries.push({ at, draft });
    return true;
  }

  /** The events in time order (stable for equal times), numbered `<idPrefix>-0`, `-1`, …. */
  finish(idPrefix: string): EventInput[] {
    const sorted = this.#entries.sort((a, b) => a.at - b.at);
    this.#entries = [];
    return sorted.map(({ at, draft }, n) => ({
      eventId: `${idPrefix}-${n}`,
      timestamp: isoSeconds(at),
      ...draft,
    }));
  }
}
