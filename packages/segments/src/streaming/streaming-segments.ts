import { linkedScope, type LinkedScope } from '@rapport/profiles';
import type { SegmentChange } from '@rapport/schemas';
import { chunkForUrl, cpuPrioritySetting, type Store } from '@rapport/store';
import { StatementLimits } from '../statement-limits.js';
import { batchOnlySegments } from './batch-only.js';
import { evaluationOrder, type EvaluableDefinition } from '../store/evaluation-order.js';
import { evaluateProfiles, type ProfileRowParams } from './evaluate-profiles.js';
import { EvaluationInputs } from './evaluation-inputs.js';
import { IngestShare } from './ingest-share.js';
import { isResultJob, profilesChangedByRun, readsResultsOf } from './job-result-changes.js';

/** What it logs to (a pino logger fits). */
export interface StreamingLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** The metrics it keeps (those of @rapport/observability fit). */
export interface StreamingMetrics {
  segmentStreamEvaluations: { inc(labels: { outcome: string }): void };
  segmentStreamSegmentFailures: { inc(labels: { segment: string }): void };
  segmentStreamChanges: { inc(labels: { change: string }, value: number): void };
  segmentStreamPending: { set(value: number): void };
  segmentStreamSeconds: { observe(value: number): void };
  /** Seconds of each phase of an evaluation, and how long its keys waited for it (queued). */
  segmentStreamPhaseSeconds?: { observe(labels: { phase: string }, value: number): void };
  /** The rest after the last evaluation, as a share of its time (see IngestShare). */
  segmentStreamRest?: { set(value: number): void };
  /** Ingest's rate with evaluation as it runs, against none, as measured (`rest` 'auto'). */
  segmentStreamIngestShare?: { set(value: number): void };
}

export interface StreamingSegmentsOptions {
  store: Store;
  /** An identified customer silent for this many days is in the lapsed stage. */
  lapsedAfterDays: number;
  /**
   * Records the changes an evaluation wrote, in order (the outbox, or the change outlets);
   * resolves once they are durable. A rejection is retried before anything else is evaluated.
   */
  record: (changes: readonly SegmentChange[]) => Promise<void>;
  /**
   * Records the changes written as intervals and never recorded (SegmentOutbox.recover):
   * called after a write failed halfway, once what was recorded is flushed.
   */
  recover?: () => Promise<unknown>;
  logger: StreamingLogger;
  metrics?: StreamingMetrics | undefined;
  /**
   * Names the process in the run ids of its changes (`stream-<name>-<time>-<n>`) where several
   * evaluate (distributed mode), so no two of them ever give two changes one id.
   */
  name?: string;
  /** Epoch ms now; tests set it. */
  clock?: () => number;
  /** Waits between retries after a failure: doubling from `min` to `max` ms. Default 200–10 000. */
  retryMs?: { min: number; max: number };
  /**
   * After an evaluation that took t ms, the next one starts no sooner than `rest` × t ms later
   * (at most `maxRestMs`, default 1,000); what arrives meanwhile is evaluated together. Under a
   * light load evaluations are short and so are the rests; under a heavy one each evaluation
   * takes more profiles at once, paying its fixed costs (definitions, memberships, queries)
   * once for all of them, and leaves the store to ingest part of the time. Default 1 (at most
   * half the time evaluating: see DEFAULT_REST); 0 starts the next one at once.
   * 'auto': as much as keeps ingest at `ingestShare` of its rate, measured from the batches
   * told to `committed` (see IngestShare).
   */
  rest?: number | 'auto';
  /**
   * The nice value (0-19, Linux) of the verdict statement of an evaluation of touched profiles
   * (a reconcile's take the default): higher leaves a saturated machine's cores to ingest first
   * and answers later. Default 0. Applied where the store's process holds CAP_SYS_NICE (see
   * cpuPrioritySetting).
   */
  nice?: number;
  /** With `rest` 'auto': the share of its rate ingest keeps (0-1). Default 0.85. */
  ingestShare?: number;
  maxRestMs?: number;
  /**
   * How long the definitions and latest job runs read for one evaluation serve the next ones
   * (ms; default 0, read for each). Only where every definition is saved and every job runs in
   * this process, which then tells `definitionsChanged` and `jobFinished` at once.
   */
  inputsMaxAgeMs?: number;
}

/** Where streaming evaluation stands, for /readyz. */
export interface StreamingStatus {
  pendingKeys: number;
  /** Segments whose evaluation failed for some profiles, retried, with the last reason. */
  failing: { segmentId: string; profiles: number; reason: string }[];
  /** Why the last whole evaluation failed, while it has not succeeded since. */
  lastError: string | null;
}

/**
 * The rest after an evaluation, as a share of its time, unless told (`rest`): at most half the
 * time evaluating. Under a load that saturates the machine, ingest loses about half its pace
 * while an evaluation runs, so the share of its pace it keeps is about 1 - 1 / (2 × (1 + rest))
 * whatever an evaluation costs, and an event waits up to about (1 + rest) evaluations before
 * its own begins. At a million people on two cores (benchmarks/README.md, twenty-sixth round),
 * a rest of 1 kept 0.78-0.81 of ingest's pace with an entry latency p95 of 0.68 s, where 0.5
 * kept 0.70-0.75 with 0.54-0.75 s in the rounds before.
 */
const DEFAULT_REST = 1;

/**
 * Keys of the backlog an evaluation takes, at most: along with new events' keys, and alone.
 * An evaluation's cost grows with its keys (measured: about twice the statement time at
 * 1,000 profiles as at 10), and every new event waiting on it waits for the backlog's share.
 */
const BACKLOG_SLICE = { withNew: 200, alone: 1000 };

/**
 * The keys of one statement of a reconcile (the segments job's disputed profiles) on the
 * embedded store, in bytes written: about 35,000 keys. A statement over a few thousand keys
 * costs nearly what one over tens of thousands does, and a first run disputes every member (at
 * a million people, 14 times the keys a statement took the reconcile from 180–202 s to 40 s).
 * A server takes keys in the URL, capped (chunkForUrl).
 */
const RECONCILE_KEY_BYTES = 1024 * 1024;

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Streaming segment evaluation: the customer keys of each committed batch are handed to
 * `touched` (it never waits, so ingest never does); a loop evaluates every segment for the
 * profiles they make up, with the rule the segments job compiles restricted to those
 * profiles, writes entries and exits as membership intervals and records them. Evaluations
 * run one at a time, in the order keys arrived; keys that come in while one runs are
 * evaluated together next. A failure is retried with backoff: a failed segment keeps its
 * profiles (and so do the segments referring to it) until it succeeds.
 */
export class StreamingSegments {
  private pending = new Set<string>();
  /** When the oldest of the pending keys came (performance.now()). */
  private pendingSince = 0;
  /**
   * Keys to evaluate again that no event is waiting on (start-up catch-up, job results): each
   * evaluation takes a slice of them along with what is pending, so that a large catch-up
   * never holds up the evaluation of new events.
   */
  private backlog = new Set<string>();
  /** Profiles each failing segment still owes an evaluation, and why it failed last. */
  private readonly owed = new Map<string, { keys: Set<string>; reason: string }>();
  /** Changes written as intervals and not yet recorded. */
  private unrecorded: SegmentChange[] = [];
  private tail: Promise<void> = Promise.resolve();
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  /** No evaluation starts before this time (performance.now()): the rest after the last. */
  private restUntil = 0;
  /** An evaluation of touched keys runs: it schedules the next one when it ends. */
  private draining = false;
  private failures = 0;
  private lastError: string | null = null;
  private closed = false;
  /** What evaluating costs ingest, with `rest` 'auto'. */
  private readonly ingest: IngestShare | undefined;
  private lastAt = 0;
  private recoverDue = false;
  private sequence = 0;
  private readonly clock: () => number;
  private readonly limits: StatementLimits;
  private readonly fits = new Map<string, boolean>();
  private readonly inputs: EvaluationInputs;

  constructor(private readonly options: StreamingSegmentsOptions) {
    this.clock = options.clock ?? Date.now;
    // A nice value out of range fails here, not in every evaluation.
    cpuPrioritySetting(options.nice ?? 0);
    this.limits = new StatementLimits(options.store);
    this.inputs = new EvaluationInputs(
      options.store,
      options.lapsedAfterDays,
      options.inputsMaxAgeMs,
    );
    if (options.rest === 'auto') {
      this.ingest = new IngestShare({ share: options.ingestShare ?? 0.85, fallback: 1 });
    }
  }

  /** A segment definition was saved or deleted: the next evaluation reads them again. */
  definitionsChanged(): void {
    this.inputs.definitionsChanged();
  }

  /**
   * The customer keys of a batch of events ingest committed just now: touched, and counted as
   * ingest's pace (see `rest` 'auto').
   */
  committed(customerKeys: ReadonlySet<string>): void {
    this.ingest?.committed(customerKeys.size);
    this.touched(customerKeys);
  }

  /**
   * Customer keys (`c:…`, `a:…`) a committed batch stored events under. With `later`, keys
   * to evaluate again that no new event waits on (a catch-up): they go after new events,
   * a slice of them with each evaluation (BACKLOG_SLICE).
   */
  touched(customerKeys: Iterable<string>, options: { later?: boolean } = {}): void {
    if (this.closed) return;
    const into = options.later === true ? this.backlog : this.pending;
    if (into === this.pending && this.pending.size === 0) this.pendingSince = performance.now();
    for (const key of customerKeys) into.add(key);
    this.options.metrics?.segmentStreamPending.set(this.waiting());
    if (!this.draining) this.schedule(this.restMs());
  }

  /**
   * Evaluates every segment for these profiles now, after what is queued before it; resolves
   * with the changes it recorded. Rejects when the evaluation fails as a whole; a segment that
   * fails alone is retried by the loop (see status()).
   */
  evaluate(
    profileKeys: readonly string[],
    options: {
      /** Names the changes (their ids and intervals); default a run id of its own. */
      runId?: string;
      /** The evaluation time, epoch ms (moved past the last one if earlier); default now. */
      at?: number;
      /** Batch-only segments too (the segments job's reconcile step); default false. */
      batchOnly?: boolean;
      /**
       * Only these segments (a segments run restricted to some); a segment they refer to and
       * do not name is read from membership. Default every segment.
       */
      segments?: readonly string[];
      /**
       * Where the profiles are evaluated and their memberships written: a job run's store,
       * whose statements a stop cancels (see cancellable). Default the evaluator's own.
       */
      store?: Store;
    } = {},
  ): Promise<SegmentChange[]> {
    return this.serial(async () => {
      await this.flushUnrecorded();
      const context = await this.context(options.batchOnly === true);
      const only = options.segments === undefined ? undefined : new Set(options.segments);
      const { changes, held } = await this.evaluateKeys(
        profileKeys,
        options,
        new Map(),
        only === undefined
          ? context
          : { ...context, ordered: context.ordered.filter((d) => only.has(d.id)) },
      );
      await this.flushUnrecorded();
      // A segment that failed owes these profiles an evaluation: the loop retries it.
      if (held.length > 0) {
        this.failures++;
        this.schedule(this.backoff());
      }
      return changes;
    });
  }

  /**
   * An rfm, clv or clusters run succeeded: the profiles whose results changed are evaluated
   * again, when a segment's rule reads that job's fields. Resolves once they are queued.
   */
  async jobFinished(job: string, runId: string): Promise<number> {
    this.inputs.runsChanged();
    if (this.closed || !isResultJob(job)) return 0;
    const definitions = await this.inputs.definitions();
    const read = definitions.some(
      (d) => !d.deleted && d.rule !== null && readsResultsOf(d.rule, job),
    );
    if (!read) return 0;
    const keys = await profilesChangedByRun(this.options.store, { job, runId });
    this.touched(keys, { later: true });
    return keys.length;
  }

  /** Resolves once everything touched so far is evaluated or failed (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.scheduled || this.waiting() > 0) {
      await this.tail;
      // Waiting to retry after a failure: idle as far as it goes.
      if (this.timer !== undefined && this.failures > 0) return;
      const rest = this.restMs();
      await new Promise((resolve) =>
        rest > 0 ? setTimeout(resolve, rest) : setImmediate(resolve),
      );
    }
    await this.tail;
  }

  status(): StreamingStatus {
    return {
      pendingKeys: this.waiting(),
      failing: [...this.owed].map(([segmentId, { keys, reason }]) => ({
        segmentId,
        profiles: keys.size,
        reason,
      })),
      lastError: this.lastError,
    };
  }

  /** Stops evaluating: what runs finishes; what waits is left to the reconciler. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.tail;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private schedule(delayMs: number): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    const run = () => {
      this.timer = undefined;
      void this.serial(() => this.drain());
    };
    if (delayMs === 0) setImmediate(run);
    else this.timer = setTimeout(run, delayMs);
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    if (this.closed) return;
    this.draining = true;
    const taken = this.pending;
    this.pending = new Set();
    if (taken.size > 0) this.observe('queued', performance.now() - this.pendingSince);
    let slice = 0;
    const most = taken.size > 0 ? BACKLOG_SLICE.withNew : BACKLOG_SLICE.alone;
    for (const key of this.backlog) {
      if (slice++ >= most) break;
      taken.add(key);
      this.backlog.delete(key);
    }
    const started = performance.now();
    this.ingest?.started();
    try {
      await this.flushUnrecorded();
      // The definitions and latest job runs first (kept in memory in the engine): with no
      // segment at all, no profile is looked up, nor a membership read.
      const context = await this.context(false);
      if (context.ordered.length === 0 && this.owed.size === 0) {
        this.lastError = null;
        this.failures = 0;
      } else {
        // The profiles and their customers' links in one read: the evaluation reads no more.
        const scope = await this.timed('scope', () => linkedScope(this.options.store, taken));
        const owed = new Map(this.owed);
        this.owed.clear();
        const { held } = await this.evaluateKeys(scope.profiles, {}, owed, context, scope.linked);
        await this.flushUnrecorded();
        this.options.metrics?.segmentStreamEvaluations.inc({
          outcome: held.length === 0 ? 'ok' : 'failed',
        });
        this.lastError = null;
        if (held.length === 0 && this.owed.size === 0) this.failures = 0;
        else this.failures++;
      }
    } catch (error) {
      // Nothing of it is lost: the keys go back, to be evaluated with what came since.
      for (const key of taken) this.pending.add(key);
      this.failures++;
      this.lastError = reasonOf(error);
      this.options.metrics?.segmentStreamEvaluations.inc({ outcome: 'failed' });
      this.options.logger.warn({ err: error }, 'streaming segment evaluation failed; retrying');
    }
    const took = performance.now() - started;
    this.ingest?.ended();
    this.options.metrics?.segmentStreamSeconds.observe(took / 1000);
    this.options.metrics?.segmentStreamPending.set(this.waiting());
    const rest = this.rest();
    this.restUntil = performance.now() + Math.min(this.options.maxRestMs ?? 1000, rest * took);
    this.draining = false;
    if (this.waiting() > 0 || this.owed.size > 0) {
      this.schedule(Math.max(this.backoff(), this.restMs()));
    }
  }

  /** The rest after an evaluation, as a share of its time. */
  private rest(): number {
    const { rest = DEFAULT_REST, metrics } = this.options;
    const estimate = this.ingest?.estimate();
    const value = estimate?.rest ?? (rest === 'auto' ? 1 : rest);
    metrics?.segmentStreamRest?.set(value);
    if (typeof estimate?.share === 'number') metrics?.segmentStreamIngestShare?.set(estimate.share);
    return value;
  }

  private waiting(): number {
    return this.pending.size + this.backlog.size;
  }

  /** How long until the rest after the last evaluation is over. */
  private restMs(): number {
    return Math.max(0, Math.ceil(this.restUntil - performance.now()));
  }

  private backoff(): number {
    if (this.failures === 0) return 0;
    const { min, max } = this.options.retryMs ?? { min: 200, max: 10_000 };
    return Math.min(max, min * 2 ** Math.min(this.failures - 1, 16));
  }

  /** Evaluates the keys (and what failing segments owe) chunk by chunk. */
  private async evaluateKeys(
    profileKeys: readonly string[],
    options: { runId?: string; at?: number; batchOnly?: boolean; store?: Store },
    owed: ReadonlyMap<string, { keys: Set<string>; reason: string }>,
    { ordered, profile }: { ordered: EvaluableDefinition[]; profile: ProfileRowParams },
    linked?: LinkedScope['linked'],
  ) {
    const store = options.store ?? this.options.store;
    const all = new Set(profileKeys);
    for (const { keys } of owed.values()) for (const key of keys) all.add(key);
    const at = this.nextAt(options.at);
    const name = this.options.name === undefined ? '' : `${this.options.name}-`;
    const id = options.runId ?? `stream-${name}${at}-${++this.sequence}`;
    const changes: SegmentChange[] = [];
    const held: { segmentId: string; error: unknown }[] = [];
    const keyBytes =
      options.batchOnly === true && store.mode === 'embedded' ? RECONCILE_KEY_BYTES : undefined;
    for (const keys of chunkForUrl([...all].sort(), keyBytes)) {
      const result = await evaluateProfiles({
        store,
        keys,
        ordered,
        at,
        runId: id,
        profile,
        ...(linked === undefined ? {} : { linked }),
        time: (phase, ms) => this.observe(phase, ms),
        // A reconcile's chunks are large: every core. The profiles batches touched: one.
        oneThread: options.batchOnly !== true,
        nice: options.batchOnly === true ? 0 : (this.options.nice ?? 0),
      });
      // One by one: a reconcile's chunk can change more than a call takes arguments.
      for (const change of result.changes) {
        changes.push(change);
        this.unrecorded.push(change);
      }
      if (result.writeFailed) this.recoverDue = true;
      for (const failure of result.held) {
        held.push(failure);
        const entry = this.owed.get(failure.segmentId) ?? { keys: new Set(), reason: '' };
        keys.forEach((key) => entry.keys.add(key));
        entry.reason = reasonOf(failure.error);
        this.owed.set(failure.segmentId, entry);
        this.options.metrics?.segmentStreamSegmentFailures.inc({ segment: failure.segmentId });
      }
    }
    for (const { segmentId, error } of held) {
      this.options.logger.warn(
        { segment: segmentId, reason: reasonOf(error) },
        'segment not evaluated; retrying',
      );
    }
    return { changes, held };
  }

  /** What an evaluation reads besides its keys: the segments and the latest job runs. */
  private async context(batchOnly: boolean) {
    const [ordered, profile] = await this.timed('definitions', () =>
      Promise.all([this.evaluable(batchOnly), this.profileParams()]),
    );
    return { ordered, profile };
  }

  /**
   * The segments in evaluation order, without those whose rule is too large for the store
   * (the segments job reports them; checked once per version), nor the batch-only ones unless
   * asked for.
   */
  private async evaluable(batchOnly: boolean): Promise<EvaluableDefinition[]> {
    const { ordered } = evaluationOrder(await this.inputs.definitions());
    const slow = batchOnly ? new Map<string, string>() : batchOnlySegments(ordered);
    const fitting: EvaluableDefinition[] = [];
    for (const definition of ordered) {
      if (slow.has(definition.id)) continue;
      const key = `${definition.id}:${definition.version}`;
      let fits = this.fits.get(key);
      if (fits === undefined) {
        fits = definition.rule === null || (await this.limits.issues(definition.rule)).length === 0;
        this.fits.set(key, fits);
      }
      if (fits) fitting.push(definition);
    }
    return fitting;
  }

  /** Records the changes written and not yet recorded, in order; throws if it cannot. */
  private async flushUnrecorded(): Promise<void> {
    if (this.unrecorded.length === 0) {
      if (this.recoverDue && this.options.recover) {
        await this.options.recover();
        this.recoverDue = false;
      }
      return;
    }
    const changes = this.unrecorded;
    await this.timed('record', () => this.options.record(changes));
    this.unrecorded = this.unrecorded.slice(changes.length);
    if (this.recoverDue && this.options.recover) {
      await this.options.recover();
      this.recoverDue = false;
    }
    for (const change of ['entered', 'exited'] as const) {
      const n = changes.filter((c) => c.change === change).length;
      if (n > 0) this.options.metrics?.segmentStreamChanges.inc({ change }, n);
    }
  }

  private observe(phase: string, ms: number): void {
    this.options.metrics?.segmentStreamPhaseSeconds?.observe({ phase }, ms / 1000);
  }

  private async timed<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.observe(phase, performance.now() - started);
    }
  }

  /** Strictly increasing evaluation times: an interval's key holds its entry time. */
  private nextAt(at?: number): number {
    this.lastAt = Math.max(at ?? this.clock(), this.lastAt + 1);
    return this.lastAt;
  }

  private profileParams(): Promise<ProfileRowParams> {
    return this.inputs.profileParams();
  }
}
