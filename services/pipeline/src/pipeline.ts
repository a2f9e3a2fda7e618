import type { EventBus } from '@rapport/bus';
import { createConsumeBatch } from './consume-batch.js';
import { EventSink, type EventSinkDeps } from './event-sink.js';

export interface Pipeline {
  sink: EventSink;
  /** Writes what waits and stops taking events. */
  stop(): Promise<void>;
}

/** bus → dedup → store: subscribes the event sink to the bus. */
export async function startPipeline(deps: EventSinkDeps & { bus: EventBus }): Promise<Pipeline> {
  const sink = new EventSink(deps);
  await deps.bus.subscribe(createConsumeBatch({ sink }));
  return { sink, stop: () => sink.close() };
}
