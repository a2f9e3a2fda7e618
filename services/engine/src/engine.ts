import { InProcessBus, InProcessChangeFeed } from '@rapport/bus';
import type { Config } from '@rapport/config';
import { apiPlugin, createProfiles } from '@rapport/api';
import { consolePlugin } from '@rapport/console';
import {
  findByTrait,
  openRowMirror,
  profileKey,
  type ProfileCache,
  type ProfileService,
} from '@rapport/profiles';
import { JobRunner, jobsPlugin, Scheduler } from '@rapport/jobs';
import { createApp, heavyQueryGate, type App } from '@rapport/http';
import { openChangeOutlets } from './change-sinks.js';
import { createJobs, jobRunStores } from './job-registry.js';
import { importRoute, ingestPlugin, providerRoutes } from '@rapport/ingest';
import { Metrics, type Logger } from '@rapport/observability';
import { startPipeline } from '@rapport/pipeline';
import { AuditLog, ErasureService, SuppressionMemo } from '@rapport/privacy';
import { migrationsDir } from '@rapport/schemas';
import {
  migrate,
  observeStatements,
  openStore,
  pendingMigrations,
  type Store,
} from '@rapport/store';
import { openOutbox, openStreamingSegments, startDelivery } from './streaming-segments.js';

export interface Engine {
  app: App;
  store: Store;
  profiles: ProfileService;
  cache: ProfileCache;
  runner: JobRunner;
  /** Segment entries and exits, for listeners in this process (webhooks get them too). */
  changes: InProcessChangeFeed;
  /** Resolves once streaming segment evaluation has evaluated what was stored so far. */
  segmentsSettled(): Promise<void>;
  /** Stops taking requests, writes what waits, closes the store. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Ingest, pipeline and query API in one process on one store, joined by the in-process
 * bus: an event is acknowledged only after the store committed it.
 */
export async function createEngine(options: { config: Config; logger: Logger }): Promise<Engine> {
  const { config, logger } = options;
  const metrics = new Metrics();
  const store = observeStatements(await openStore(config.store), {
    logger,
    metrics,
    slowMs: config.slowStatementMs,
  });
  let migrated: { applied: number[] };
  try {
    migrated = await migrate(store, migrationsDir, logger);
  } catch (error) {
    await store.close();
    throw error;
  }
  // This process writes every event of an embedded store: it can keep its rows' copy exact.
  // Without it (it could not be opened) profiles are read from the store, checked.
  const mirror =
    store.opening && config.profiles.mirror
      ? await openRowMirror(store.opening, { fresh: migrated.applied.length > 0 }).catch(
          (error: unknown) => {
            logger.warn({ err: error }, 'profile rows mirror not opened; reads go to the store');
            return undefined;
          },
        )
      : undefined;
  if (mirror?.seal === 'damaged') {
    logger.warn(
      'profile rows mirror file was not as its last clean stop left it: deleted unread, refilled after the rows are rebuilt',
    );
  }
  const bus = new InProcessBus();
  const { cache, latest, rows, profiles } = createProfiles({
    store,
    config,
    metrics,
    logger,
    cacheBytes: config.profiles.cacheBytes,
    ...(mirror ? { mirror } : {}),
  });
  // Segment changes are recorded in the outbox, delivered from there to the outlets below.
  // Every erasure runs in this process and forgets the outbox's tail: it may be kept.
  const { outbox, recordSink, recovered } = await openOutbox(store, { tail: true });
  if (recovered > 0) logger.info({ recovered }, 'segment changes recorded after a restart');
  const streaming = openStreamingSegments({
    config,
    store,
    logger,
    metrics,
    outbox,
    inputsInProcess: true,
  });
  // Every erasure of this store runs in this process (below): the list is held in memory.
  const suppressions = new SuppressionMemo(store);
  const pipeline = await startPipeline({
    store,
    bus,
    logger,
    metrics,
    batch: config.batch,
    suppressedEvents: (events) => suppressions.suppressedEvents(events),
    // The in-process pipeline keeps the cache exact: touched profiles go before the ack.
    onCommitted: (keys) => {
      cache.invalidate(keys);
      rows.touched(keys);
      streaming?.evaluator.committed(keys);
    },
    // Projections rebuilt from the log: what was read of those profiles is read again.
    onRepaired: (keys) => {
      if (keys === undefined) {
        cache.clear();
        rows.distrust();
        return;
      }
      cache.invalidate(keys);
      rows.touched(keys);
      streaming?.evaluator.touched(keys);
    },
  });
  // The pipeline started once blocks cut short by a crash were inserted again: now what the
  // last process stored without evaluating is read whole.
  streaming?.catchUp();

  const changes = new InProcessChangeFeed();
  changes.subscribe((page) => {
    const keys = page.map((change) =>
      change.customerId === null
        ? profileKey({ anonymousId: change.anonymousId ?? '' })
        : profileKey({ customerId: change.customerId }),
    );
    cache.invalidate(keys);
    rows.segmentsChanged(keys);
  });
  const outlets = openChangeOutlets({
    config,
    logger,
    metrics,
    store,
    inProcess: changes,
    durable: true,
    withhold: (page) => suppressions.suppressedChanges(page),
  });
  const delivery = await startDelivery({ outbox, outlets: outlets.sinks, logger, metrics });
  const runner = new JobRunner({
    ...jobRunStores(store),
    logger,
    metrics,
    jobs: createJobs({
      config,
      sinks: [recordSink],
      reconcile: streaming && ((keys, at) => streaming.evaluator.evaluate(keys, at)),
      metrics,
    }),
    // A finished run changes what profiles show. A segments run has already dropped the
    // profiles whose membership it changed (below); the others keep theirs.
    onFinished: (run) => {
      latest.invalidate();
      // Segments reading the run's results follow them for the profiles whose values changed.
      if (run.status === 'succeeded') {
        streaming?.evaluator.jobFinished(run.job, run.runId).catch((error: unknown) => {
          logger.warn({ err: error, job: run.job }, 'segments not evaluated after a job run');
        });
      }
      if (run.job === 'segments') profiles.segmentsChanged();
      else cache.clear();
      rows.afterRun(run);
    },
  });
  await runner.runs.failInterrupted(Date.now());
  // Saves come through this process's routes (segmentSaved): the store is looked at at start
  // and hourly besides.
  const scheduler = new Scheduler(runner, config.jobs.schedules, logger, {
    store,
    everyMs: 3_600_000,
  });
  const erasures = new ErasureService({
    store,
    logger,
    // Profile rows of the customer are no longer written once the erasure begins (its own
    // deletes then remove those there are); nothing is written back for them after it.
    onSuppressed: (keys) => {
      suppressions.changed();
      outbox.forgetTail();
      return rows.exclude(keys);
    },
    onErased: (keys) => {
      cache.invalidate(keys);
      latest.invalidate();
    },
  });
  const audit = new AuditLog(store);

  const app = await createApp({
    config,
    logger,
    metrics,
    title: 'Rapport engine',
    audit: (entry) => audit.record(entry),
    readiness: [
      { name: 'store', check: () => store.ping() },
      {
        name: 'migrations',
        check: async () => {
          const pending = await pendingMigrations(store, migrationsDir);
          if (pending.length > 0) {
            throw new Error(`pending: ${pending.map((m) => m.version).join(', ')}`);
          }
        },
      },
      {
        name: 'bus',
        check: async () => {
          if (!(await bus.ready())) throw new Error('the pipeline is not consuming');
        },
      },
      ...(streaming ? [streaming.readiness] : []),
    ],
  });
  await app.register(ingestPlugin, { bus, limits: config.ingest, metrics });
  await app.register(importRoute, { bus, limits: config.ingest, metrics });
  await app.register(providerRoutes, {
    bus,
    limits: config.ingest,
    keys: config.providers,
    metrics,
    findCustomersByEmail: (email) => findByTrait(store, 'email', email),
  });
  await app.register(apiPlugin, {
    store,
    bus,
    profiles,
    latest,
    currency: config.ingest.reportingCurrency,
    privacy: { erasures, audit },
    heavyQueries: heavyQueryGate(config.limits.heavyQueries, config.store.mode, (message) =>
      logger.warn(message),
    ),
    onDefinitionsChanged: () => {
      streaming?.evaluator.definitionsChanged();
      scheduler.segmentSaved();
    },
  });
  await app.register(jobsPlugin, { runner, schedules: config.jobs.schedules, scheduler });
  await app.register(consolePlugin);
  scheduler.start();
  // An erasure cut short by a crash or a store error is finished now.
  await erasures.resume();
  // Profile rows are rebuilt in the background where the store has none (new, or upgraded) or
  // the mirror of them is not trusted (a crash, or another process opened the store since).
  rows.start().catch((error: unknown) => {
    logger.warn({ err: error }, 'profile rows were not built; profiles are read from projections');
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // A run of minutes would outlast the stop's grace: it ends failed, and can be run again.
      await runner.cancelRuns().catch((error: unknown) => {
        logger.warn({ err: error }, 'job runs not cancelled: the stop waits for them');
      });
      await scheduler.stop();
      await app.close();
      await runner.drain();
      await erasures.drain();
      await bus.close();
      await pipeline.stop();
      await streaming?.close();
      await delivery.close();
      await outlets.close();
      await rows.close();
      await store.close();
    })();
    return closing;
  };
  const segmentsSettled = async () => {
    await streaming?.evaluator.idle();
  };
  return { app, store, profiles, cache, runner, changes, segmentsSettled, close };
}
