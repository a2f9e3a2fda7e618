import type { ChangeSink } from '@rapport/bus';
import type { Config } from '@rapport/config';
import type { ReadinessCheck } from '@rapport/http';
import type { Logger, Metrics } from '@rapport/observability';
import { lapsedMs } from '@rapport/profiles';
import {
  OutboxDispatcher,
  recentlyReceivedKeys,
  SegmentOutbox,
  StreamingSegments,
  WindowSweep,
} from '@rapport/segments';
import type { Store } from '@rapport/store';

/**
 * How long an evaluation's definitions and latest job runs serve the next ones where this
 * process is told of every change to them: at most this long after a change made some other
 * way (none is known to the engine), it is seen.
 */
const INPUTS_KEPT_MS = 30_000;

/** How far back start-up evaluates again what was received (kept in memory until evaluated). */
const CATCH_UP_MS = 10 * 60_000;

/**
 * Streaming segment evaluation where committed batches are known, when RAPPORT_STREAMING_SEGMENTS
 * is on; its trouble shows on /readyz without taking the process out of service (ingest never
 * waits for it).
 */
export function openStreamingSegments(options: {
  config: Pick<Config, 'segments' | 'profiles'>;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  outbox: SegmentOutbox;
  /**
   * Runs the window sweep (default true). In distributed mode only the one jobs service does,
   * and it alone calls `catchUp`: every pipeline process would otherwise evaluate the same
   * profiles at once.
   */
  sweep?: boolean;
  /**
   * Every segment definition is saved and every job runs in this process, which tells the
   * evaluator (`definitionsChanged`, `jobFinished`): what it read of them is kept meanwhile.
   */
  inputsInProcess?: boolean;
}):
  | {
      evaluator: StreamingSegments;
      readiness: ReadinessCheck;
      /**
       * Evaluates again the keys received in the last 10 minutes: what a killed process
       * stored but had not evaluated. Called once the projections are recovered (blocks cut
       * short inserted again, views repaired), or the evaluation would read them short.
       */
      catchUp(): void;
      /** Stops the window sweep, then the evaluation (what runs finishes). */
      close(): Promise<void>;
    }
  | undefined {
  const { config, store, logger, metrics, outbox } = options;
  if (!config.segments.streaming) return undefined;
  const evaluator = new StreamingSegments({
    store,
    lapsedAfterDays: config.profiles.lapsedAfterDays,
    rest: config.segments.streamingRest,
    ingestShare: config.segments.streamingIngestShare,
    nice: config.segments.streamingNice,
    logger: logger.child({ component: 'streaming-segments' }),
    metrics,
    ...(outbox.writer === '' ? {} : { name: outbox.writer }),
    record: (changes) => outbox.append(changes),
    recover: () => outbox.recover(),
    ...(options.inputsInProcess === true ? { inputsMaxAgeMs: INPUTS_KEPT_MS } : {}),
  });
  const readiness: ReadinessCheck = {
    name: 'segments-stream',
    critical: false,
    check: () => {
      const { failing, lastError, pendingKeys } = evaluator.status();
      if (lastError === null && failing.length === 0) return Promise.resolve();
      const parts = [
        ...(lastError === null
          ? []
          : [`evaluation failing (${pendingKeys} keys waiting): ${lastError}`]),
        ...failing.map(
          (f) => `segment ${f.segmentId} failing for ${f.profiles} profiles: ${f.reason}`,
        ),
      ];
      return Promise.reject(new Error(`retrying; ${parts.join('; ')}`));
    },
  };
  // Time passing without events: members whose window edge fell are evaluated again.
  const sweep = new WindowSweep({
    store,
    touched: (keys) => evaluator.touched(keys),
    lapsedMs: lapsedMs(config.profiles.lapsedAfterDays),
    logger: logger.child({ component: 'window-sweep' }),
  });
  if (options.sweep !== false) sweep.start();
  const catchUp = () => {
    recentlyReceivedKeys(store, Date.now() - CATCH_UP_MS)
      // After new events: a catch-up of thousands of profiles never holds them up.
      .then((keys) => evaluator.touched(keys, { later: true }))
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'recent events not evaluated again at start-up');
      });
  };
  const close = async () => {
    await sweep.close();
    await evaluator.close();
  };
  return { evaluator, readiness, catchUp, close };
}

/**
 * The segment change outbox of this store: changes written but not recorded when the process
 * last stopped are recorded first; `recordSink` records (the segments job publishes to it).
 * `writer` names the process when several record changes (distributed mode).
 */
export async function openOutbox(
  store: Store,
  /** `tail`: outlets read this process's recent changes from memory (see SegmentOutbox). */
  options: { writer?: string; tail?: boolean } = {},
): Promise<{
  outbox: SegmentOutbox;
  recordSink: ChangeSink;
  recovered: number;
}> {
  const outbox = new SegmentOutbox(store, Date.now, options);
  const recovered = await outbox.recover();
  const recordSink: ChangeSink = {
    name: 'outbox',
    publish: (changes) => outbox.append(changes),
    close: () => Promise.resolve(),
  };
  return { outbox, recordSink, recovered };
}

/** Delivers the outbox to the outlets (bus feed, webhooks) until closed. */
export async function startDelivery(options: {
  outbox: SegmentOutbox;
  outlets: readonly ChangeSink[];
  logger: Logger;
  metrics: Metrics;
  /**
   * 'all': the changes every process recorded (distributed mode), looked for every 250 ms
   * (appends of this process wake it at once); default this one's.
   */
  writers?: 'one' | 'all';
}): Promise<OutboxDispatcher> {
  const dispatcher = new OutboxDispatcher({
    writers: options.writers ?? 'one',
    ...(options.writers === 'all' ? { pollMs: 250 } : {}),
    outbox: options.outbox,
    outlets: options.outlets,
    logger: options.logger.child({ component: 'segment-outbox' }),
    metrics: options.metrics,
  });
  await dispatcher.start();
  return dispatcher;
}
