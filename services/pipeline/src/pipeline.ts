import type { EventBus } from '@rapport/bus';
import type { SuppressibleEvent } from '@rapport/privacy';
import { createConsumeBatch } from './consume-batch.js';
import { EventSink, type EventSinkDeps } from './event-sink.js';
import { recoverProjections } from './projection-watch.js';
import { createDropSuppressedStep } from './steps/drop-suppressed-step.js';

export interface Pipeline {
  sink: EventSink;
  /** Writes what waits and stops taking events. */
  stop(): Promise<void>;
}

/**
 * bus → dedup → store: first completes the inserts a crash cut short and checks the recent
 * tail of the log against the projections, then subscribes the event sink to the bus.
 */
export async function startPipeline(
  deps: EventSinkDeps & {
    bus: EventBus;
    /** How far back (ms of received time) the start-up check looks; default 10 minutes. */
    startupCheckMs?: number;
    /** Which events are erased customers' (default: a query of the suppression list). */
    suppressedEvents?: (events: readonly SuppressibleEvent[]) => Promise<boolean[]>;
  },
): Promise<Pipeline> {
  await recoverProjections({
    ...deps,
    ...(deps.startupCheckMs === undefined ? {} : { tailMs: deps.startupCheckMs }),
  });
  const dropSuppressed = createDropSuppressedStep({
    store: deps.store,
    metrics: deps.metrics,
    ...(deps.suppressedEvents ? { suppressed: deps.suppressedEvents } : {}),
  });
  const sink = new EventSink({ dropSuppressed, ...deps });
  await deps.bus.subscribe(createConsumeBatch({ sink }));
  return { sink, stop: () => sink.close() };
}
