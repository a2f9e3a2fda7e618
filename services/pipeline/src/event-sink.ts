import type { BusMessage, Delivery, Outcome } from '@rapport/bus';
import type { Config } from '@rapport/config';
import type { Logger, Metrics } from '@rapport/observability';
import { BatchWriter, type Store } from '@rapport/store';
import { dedupTokenOf, type LogRange } from './dedup-token.js';

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
  /** Settings for every insert, e.g. `distributed_foreground_insert` on a cluster. */
  insertSettings?: Record<string, string | number>;
}

/** A message waiting for the writer, with where it sits in the bus's log. */
interface SinkItem {
  message: BusMessage;
  source: LogRange | undefined;
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
export function createWriteEventsStep(
  store: Store,
  onCommitted?: EventSinkDeps['onCommitted'],
  insertSettings: Record<string, string | number> = {},
) {
  return async function writeEventsStep(
    messages: BusMessage[],
    options: { sources?: readonly (LogRange | undefined)[] } = {},
  ): Promise<Delivery[]> {
    const known = await storedIds(store, [...new Set(messages.map((m) => m.eventId))]);
    const lines: string[] = [];
    const inserted: string[] = [];
    const touched = new Set<string>();
    const outcomes = messages.map((message): Delivery => {
      if (known.has(message.eventId)) return 'duplicate';
      known.add(message.eventId);
      lines.push(message.value);
      inserted.push(message.eventId);
      touched.add(message.key);
      if (message.anonymousId !== undefined) touched.add(`a:${message.anonymousId}`);
      return 'stored';
    });
    if (lines.length > 0) {
      // The token makes a repeat of this very insert a no-op in ClickHouse, for when the
      // look-up above cannot see rows an earlier attempt committed.
      const token = options.sources && dedupTokenOf(options.sources, inserted);
      const settings = {
        ...insertSettings,
        ...(token === undefined ? {} : { insert_deduplication_token: token }),
      };
      await store.insertJsonLines(
        'events',
        Buffer.from(lines.join('\n')),
        Object.keys(settings).length === 0 ? undefined : { settings },
      );
      onCommitted?.(touched);
    }
    return outcomes;
  };
}

/** The pipeline's sink: batches events from every producer and writes them to `events`. */
export class EventSink {
  private readonly writer: BatchWriter<SinkItem, Outcome>;

  constructor(deps: EventSinkDeps) {
    const writeEvents = createWriteEventsStep(deps.store, deps.onCommitted, deps.insertSettings);
    this.writer = new BatchWriter<SinkItem, Outcome>({
      name: 'events',
      maxRows: deps.batch.maxRows,
      flushIntervalMs: deps.batch.flushIntervalMs,
      maxQueueRows: deps.batch.maxQueueRows,
      write: (items) =>
        writeEvents(
          items.map((item) => item.message),
          { sources: items.map((item) => item.source) },
        ),
      logger: deps.logger,
      metrics: deps.metrics,
      // An event the store cannot take fails alone (dead-lettered with the store's reason);
      // the events of other producers in its batch are written.
      rejectItem: (_item, error) => ({ invalid: `the store refused the event: ${error.message}` }),
    });
  }

  /**
   * Resolves with one outcome per message once they are committed, or refused by the store
   * for their own data (`{ invalid: reason }`). `source` is where the
   * messages sit in the bus's log; it names the insert for deduplication.
   */
  write(messages: BusMessage[], source?: LogRange): Promise<Outcome[]> {
    return this.writer.add(messages.map((message) => ({ message, source })));
  }

  get waiting(): number {
    return this.writer.waiting;
  }

  /** Writes everything that waits, then refuses more. */
  close(): Promise<void> {
    return this.writer.close();
  }
}
