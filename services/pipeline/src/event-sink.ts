import type { BusMessage, Delivery, Outcome } from '@rapport/bus';
import type { Config } from '@rapport/config';
import type { Logger, Metrics } from '@rapport/observability';
import {
  BatchWriter,
  chunkForUrl,
  insertEventBlock,
  journalEventBlocks,
  toStoreError,
  type EventBlock,
  type Store,
} from '@rapport/store';
import { dedupTokenOf, type LogRange } from './dedup-token.js';
import { createProjectionWatch, type ProjectionWatch } from './projection-watch.js';

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
  /**
   * Called when the projections of these profiles were rebuilt from the log (a check found them
   * short), or with undefined when blocks cut short by a crash were inserted again at start-up
   * (profiles not known): what was read of them before is stale.
   */
  onRepaired?: (customerKeys: Set<string> | undefined) => void;
  /** Settings for every insert, e.g. `distributed_foreground_insert` on a cluster. */
  insertSettings?: Record<string, string | number>;
  /**
   * How often (ms) the projections of the profiles written since the last time are compared
   * with the event log (beside the writes; see createProjectionWatch), and those that differ
   * rebuilt; 0 turns it off. Default 60 000.
   */
  checkEveryMs?: number;
  /**
   * Which messages of a batch are an erased customer's (the suppression list): they are
   * dropped, not stored. Checked inside the writer, once per insert.
   */
  dropSuppressed?: (messages: BusMessage[]) => Promise<boolean[]>;
}

/** A message waiting for the writer, with where it sits in the bus's log. */
interface SinkItem {
  message: BusMessage;
  source: LogRange | undefined;
}

/** A block this writer began to insert whose insert failed: it is inserted again first. */
interface UnfinishedBlock {
  block: EventBlock;
  ids: string[];
  keys: Set<string>;
}

/**
 * The subset of event ids already in the store. Reads the by_event_id projection, a run of
 * ids per query: the ids travel in the URL, which a server caps (a Kafka backlog gives
 * batches of thousands).
 */
async function storedIds(store: Store, ids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunkForUrl(ids)) {
    const rows = await store.query<{ event_id: string }>(
      'SELECT event_id FROM events WHERE event_id IN {ids:Array(String)}',
      { ids: chunk },
      'write',
    );
    for (const row of rows) found.add(row.event_id);
  }
  return found;
}

export interface WriteEventsDeps {
  store: Store;
  onCommitted?: EventSinkDeps['onCommitted'];
  insertSettings?: Record<string, string | number>;
  logger?: Logger;
  metrics?: Metrics;
  /** Watches the projections of what is written (see EventSinkDeps.checkEveryMs). */
  watch?: ProjectionWatch;
  /** Which messages are an erased customer's (see EventSinkDeps.dropSuppressed). */
  dropSuppressed?: EventSinkDeps['dropSuppressed'];
}

export interface WriteEventsStep {
  (messages: BusMessage[]): Promise<Delivery[]>;
  /** Marks the blocks written so far as done in the journal (on close). */
  settle(): Promise<void>;
}

/**
 * Deduplicates one batch by eventId against the store and within itself, then inserts the
 * new events as one block. Batches run one at a time, so no two can both take the same new id.
 *
 * The block is written to the journal before its insert, and marked done with the next
 * block's journal entry. When an insert fails — its `events` part may have committed while a
 * view missed it — the same block goes again, under the same token, before anything else is
 * written: the look-up would find its rows and skip them, and the views would stay short.
 */
export function createWriteEventsStep(deps: WriteEventsDeps): WriteEventsStep {
  const { store, insertSettings = {} } = deps;
  const unfinished: UnfinishedBlock[] = [];
  const done: string[] = [];

  const committed = (keys: Set<string>) => {
    deps.watch?.wrote(keys);
    deps.onCommitted?.(keys);
  };

  /** Inserts again the blocks whose insert failed; returns the ids they hold. */
  async function finishUnfinished(): Promise<Set<string>> {
    const repeated = new Set<string>();
    while (unfinished.length > 0) {
      const { block, ids, keys } = unfinished[0]!;
      try {
        await insertEventBlock(store, { block, settings: insertSettings });
        ids.forEach((id) => repeated.add(id));
        deps.metrics?.eventBlocksReinserted.inc({ reason: 'retry' });
        committed(keys);
      } catch (caught) {
        const error = toStoreError(caught, 'inserting a failed block again');
        if (error.retriable) throw error;
        deps.logger?.error(
          { err: error, token: block.token, rows: block.rows },
          'a block of events the store refuses for good was given up',
        );
        // What it left short shows in the next projection check.
        deps.watch?.wrote(keys);
      }
      unfinished.shift();
      done.push(block.token);
    }
    return repeated;
  }

  /** After a failed insert: keep the block to insert again unless none of it can be stored. */
  async function keepFailed(failed: UnfinishedBlock, caught: unknown): Promise<void> {
    const error = toStoreError(caught, 'inserting events');
    if (!error.retriable) {
      // A refused block that left nothing in `events` left nothing in any view either (they
      // are fed after it): there is nothing to complete.
      const present = await storedIds(store, failed.ids).catch(() => undefined);
      if (present?.size === 0) {
        done.push(failed.block.token);
        return;
      }
    }
    unfinished.push(failed);
  }

  async function writeEventsStep(messages: BusMessage[]): Promise<Delivery[]> {
    const repeated = await finishUnfinished();
    await deps.watch?.checkIfDue();
    const known = await storedIds(store, [...new Set(messages.map((m) => m.eventId))]);
    const suppressed = (await deps.dropSuppressed?.(messages)) ?? [];
    const lines: string[] = [];
    const inserted: string[] = [];
    const touched = new Set<string>();
    const outcomes = messages.map((message, index): Delivery => {
      // An erased customer's event is dropped, and answered so that its producer does not retry.
      if (suppressed[index]) return 'stored';
      if (known.has(message.eventId)) return repeated.has(message.eventId) ? 'stored' : 'duplicate';
      known.add(message.eventId);
      lines.push(message.value);
      inserted.push(message.eventId);
      touched.add(message.key);
      if (message.anonymousId !== undefined) touched.add(`a:${message.anonymousId}`);
      return 'stored';
    });
    if (lines.length > 0) {
      const block: EventBlock = {
        token: dedupTokenOf(inserted),
        body: Buffer.from(lines.join('\n')),
        rows: lines.length,
      };
      const settled = done.splice(0);
      try {
        await journalEventBlocks(store, {
          begun: [block],
          done: settled,
          settings: insertSettings,
        });
      } catch (error) {
        done.unshift(...settled);
        throw error;
      }
      try {
        await insertEventBlock(store, { block, settings: insertSettings });
      } catch (error) {
        await keepFailed({ block, ids: inserted, keys: touched }, error);
        throw error;
      }
      done.push(block.token);
      committed(touched);
    } else if (repeated.size > 0) {
      await writeEventsStep.settle();
    }
    return outcomes;
  }

  writeEventsStep.settle = async () => {
    const settled = done.splice(0);
    if (settled.length > 0) {
      await journalEventBlocks(store, { done: settled, settings: insertSettings });
    }
  };
  return writeEventsStep;
}

/** The pipeline's sink: batches events from every producer and writes them to `events`. */
export class EventSink {
  private readonly writer: BatchWriter<SinkItem, Outcome>;
  private readonly writeEvents: WriteEventsStep;
  private readonly watch: ProjectionWatch;
  private readonly logger: Logger;

  constructor(deps: EventSinkDeps) {
    this.logger = deps.logger;
    this.watch = createProjectionWatch({
      store: deps.store,
      logger: deps.logger,
      metrics: deps.metrics,
      everyMs: deps.checkEveryMs ?? 60_000,
      ...(deps.onRepaired ? { onRepaired: deps.onRepaired } : {}),
    });
    this.writeEvents = createWriteEventsStep({ ...deps, watch: this.watch });
    this.writer = new BatchWriter<SinkItem, Outcome>({
      name: 'events',
      maxRows: deps.batch.maxRows,
      flushIntervalMs: deps.batch.flushIntervalMs,
      maxQueueRows: deps.batch.maxQueueRows,
      write: (items) => this.writeEvents(items.map((item) => item.message)),
      logger: deps.logger,
      metrics: deps.metrics,
      // An event the store cannot take fails alone (dead-lettered with the store's reason);
      // the events of other producers in its batch are written.
      rejectItem: (_item, error) => ({ invalid: `the store refused the event: ${error.message}` }),
    });
  }

  /**
   * Resolves with one outcome per message once they are committed, or refused by the store
   * for their own data (`{ invalid: reason }`). `source` is where the messages sit in the
   * bus's log (the block's token does not depend on it).
   */
  write(messages: BusMessage[], source?: LogRange): Promise<Outcome[]> {
    return this.writer.add(messages.map((message) => ({ message, source })));
  }

  get waiting(): number {
    return this.writer.waiting;
  }

  /** Writes everything that waits, then refuses more; a projection check under way finishes. */
  async close(): Promise<void> {
    await this.writer.close();
    await this.watch.idle();
    // Unmarked blocks are only inserted again, to no effect, at the next start.
    await this.writeEvents.settle().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not mark the last blocks done in the journal');
    });
  }
}
