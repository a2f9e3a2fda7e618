import type { BusMessage, Delivery } from '@rapport/bus';
import type { Config } from '@rapport/config';
import type { Logger, Metrics } from '@rapport/observability';
import { BatchWriter, type Store } from '@rapport/store';

export interface EventSinkDeps {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  batch: Config['batch'];
  /**
   * Called with the customer keys (`c:…`, `a:…`) of each committed batch's new events before
   * their producers are answered, so caches can drop what the batch changed.
   */
  onCommitted?: (customerKeys: Set<string>) => void;
}

/** The subset of event ids already in the store. Reads the by_event_id projection. */
async function storedIds(store: Store, ids: string[]): Promise<Set<string>> {
  const rows = await store.query<{ event_id: string }>(
    'SELECT event_id FROM events WHERE event_id IN {ids:Array(String)}',
    { ids },
    'write',
  );
  return new Set(rows.map((row) => row.event_id));
}

/**
 * Deduplicates one batch by eventId against the store and within itself, then inserts the
 * new events. Batches run one at a time, so no two can both take the same new id.
 */
export function createWriteEventsStep(store: Store, onCommitted?: EventSinkDeps['onCommitted']) {
  return async function writeEventsStep(messages: BusMessage[]): Promise<Delivery[]> {
    const known = await storedIds(store, [...new Set(messages.map((m) => m.eventId))]);
    const lines: string[] = [];
    const touched = new Set<string>();
    const outcomes = messages.map((message): Delivery => {
      if (known.has(message.eventId)) return 'duplicate';
      known.add(message.eventId);
      lines.push(message.value);
      touched.add(message.key);
      if (message.anonymousId !== undefined) touched.add(`a:${message.anonymousId}`);
      return 'stored';
    });
    if (lines.length > 0) {
      await store.insertJsonLines('events', Buffer.from(lines.join('\n')));
      onCommitted?.(touched);
    }
    return outcomes;
  };
}

/** The pipeline's sink: batches events from every producer and writes them to `events`. */
export class EventSink {
  private readonly writer: BatchWriter<BusMessage, Delivery>;

  constructor(deps: EventSinkDeps) {
    this.writer = new BatchWriter({
      name: 'events',
      maxRows: deps.batch.maxRows,
      flushIntervalMs: deps.batch.flushIntervalMs,
      maxQueueRows: deps.batch.maxQueueRows,
      write: createWriteEventsStep(deps.store, deps.onCommitted),
      logger: deps.logger,
      metrics: deps.metrics,
    });
  }

  /** Resolves with one outcome per message once they are committed. */
  write(messages: BusMessage[]): Promise<Delivery[]> {
    return this.writer.add(messages);
  }

  get waiting(): number {
    return this.writer.waiting;
  }

  /** Writes everything that waits, then refuses more. */
  close(): Promise<void> {
    return this.writer.close();
  }
}
