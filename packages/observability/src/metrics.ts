import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the engine exports, on one registry that is passed in rather than global,
 * so that tests and several apps in one process do not collide.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly eventsAccepted = new Counter({
    name: 'rapport_events_accepted_total',
    help: 'Events newly stored, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly eventsDuplicate = new Counter({
    name: 'rapport_events_duplicate_total',
    help: 'Events received again after they were stored (same eventId)',
    registers: [this.registry],
  });

  readonly eventsRejected = new Counter({
    name: 'rapport_events_rejected_total',
    help: 'Events rejected at ingest, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly batchRows = new Histogram({
    name: 'rapport_store_batch_rows',
    help: 'Rows per batch written to the store',
    labelNames: ['table'] as const,
    buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000, 50000],
    registers: [this.registry],
  });

  readonly insertSeconds = new Histogram({
    name: 'rapport_store_insert_duration_seconds',
    help: 'Time to write one batch to the store, dedup lookup included',
    labelNames: ['table'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly storeStatementSeconds = new Histogram({
    name: 'rapport_store_statement_duration_seconds',
    help: 'Time a query or command took in the store, by lane (read, write, heavy, jobs) and kind',
    labelNames: ['lane', 'kind'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly queueWaitSeconds = new Histogram({
    name: 'rapport_store_queue_wait_seconds',
    help: 'Time a row waited in the batch writer before its batch was written',
    labelNames: ['table'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly queueRows = new Gauge({
    name: 'rapport_store_queue_rows',
    help: 'Rows waiting in the batch writer',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });

  readonly insertErrors = new Counter({
    name: 'rapport_store_insert_errors_total',
    help: 'Failed batch writes, by whether they were retried',
    labelNames: ['table', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly eventBlocksReinserted = new Counter({
    name: 'rapport_event_blocks_reinserted_total',
    help: 'Blocks of events inserted again because their first insert was cut short (at a restart or after a failed write), so that every view gets them',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly projectionChecks = new Counter({
    name: 'rapport_projection_checks_total',
    help: 'Checks of the projections against the event log, by when they ran (startup, periodic)',
    labelNames: ['when'] as const,
    registers: [this.registry],
  });

  readonly projectionDivergence = new Counter({
    name: 'rapport_projection_divergence_total',
    help: 'Keys whose projection rows differed from the event log at a check, by projection and whether they were rebuilt',
    labelNames: ['table', 'repaired'] as const,
    registers: [this.registry],
  });

  readonly profileCacheLookups = new Counter({
    name: 'rapport_profile_cache_lookups_total',
    help: 'Profile look-ups by whether the cache had the profile (hit) or the store was read (miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly profileCacheEntries = new Gauge({
    name: 'rapport_profile_cache_entries',
    help: 'Profiles held in the cache',
    registers: [this.registry],
  });

  readonly profileRowReads = new Counter({
    name: 'rapport_profile_rows_reads_total',
    help: 'Profile reads from profile_rows: mirrored (served from the local copy), current (served from the store), behind (the projections moved on) or missing',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly profileRowsWritten = new Counter({
    name: 'rapport_profile_rows_written_total',
    help: 'Profile rows rewritten, by why: touched (events committed), read (found behind), rebuild',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly profileRowsPending = new Gauge({
    name: 'rapport_profile_rows_pending',
    help: 'Profile keys whose rows are due a rewrite (touched, found behind, or being rewritten)',
    registers: [this.registry],
  });

  readonly profileRowsMirrored = new Gauge({
    name: 'rapport_profile_rows_mirrored',
    help: 'Profile rows held in the local copy, served without a statement (0 while it is filled)',
    registers: [this.registry],
  });

  readonly profileRowsFailures = new Counter({
    name: 'rapport_profile_rows_failures_total',
    help: 'Rewrites of profile rows that failed (reads then use the projections until one succeeds)',
    registers: [this.registry],
  });

  readonly busConsumerLag = new Gauge({
    name: 'rapport_bus_consumer_lag_messages',
    help: 'Messages in a partition not yet committed by the consumer group (Kafka bus)',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly busDeadLetters = new Counter({
    name: 'rapport_bus_dead_letters_total',
    help: 'Messages sent to the dead-letter queue because they could not be decoded or validated',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  readonly busProduceSeconds = new Histogram({
    name: 'rapport_bus_produce_duration_seconds',
    help: 'Time until the brokers acknowledged a publish (acks=all), by outcome',
    labelNames: ['topic', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly busConsumeRetries = new Counter({
    name: 'rapport_bus_consume_retries_total',
    help: 'Batches paused and delivered again after a retriable failure (store unavailable)',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'rapport_webhook_deliveries_total',
    help: 'Webhook batches by endpoint origin and outcome: delivered, retried (an attempt failed, another follows) or failed (given up)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookDeliverySeconds = new Histogram({
    name: 'rapport_webhook_delivery_seconds',
    help: 'Time of one webhook POST, until the receiver answered or the attempt failed, by endpoint origin',
    labelNames: ['endpoint'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly webhookChangesWithheld = new Counter({
    name: 'rapport_webhook_changes_withheld_total',
    help: 'Segment changes not sent to a webhook because their customer was erased after the change was made, by endpoint origin',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });

  readonly segmentStreamEvaluations = new Counter({
    name: 'rapport_segment_stream_evaluations_total',
    help: 'Streaming segment evaluations of the profiles batches touched, by outcome: ok, or failed (retried)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly segmentStreamSegmentFailures = new Counter({
    name: 'rapport_segment_stream_segment_failures_total',
    help: 'Segments whose streaming evaluation failed for some profiles (their profiles are evaluated again)',
    labelNames: ['segment'] as const,
    registers: [this.registry],
  });

  readonly segmentStreamChanges = new Counter({
    name: 'rapport_segment_stream_changes_total',
    help: 'Segment entries and exits recorded by streaming evaluation (and the reconciler), by change',
    labelNames: ['change'] as const,
    registers: [this.registry],
  });

  readonly segmentStreamPending = new Gauge({
    name: 'rapport_segment_stream_pending_keys',
    help: 'Customer keys touched by committed batches and not yet evaluated',
    registers: [this.registry],
  });

  readonly segmentStreamRest = new Gauge({
    name: 'rapport_segment_stream_rest_ratio',
    help: 'Rest after the last streaming evaluation, as a share of its time',
    registers: [this.registry],
  });

  readonly segmentStreamIngestShare = new Gauge({
    name: 'rapport_segment_stream_ingest_share',
    help: 'Ingest rate kept with streaming evaluation as it runs, against none, as measured (RAPPORT_STREAMING_REST=auto)',
    registers: [this.registry],
  });

  readonly segmentStreamSeconds = new Histogram({
    name: 'rapport_segment_stream_seconds',
    help: 'Time of one streaming evaluation of every segment for the profiles of a few batches',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly segmentStreamPhaseSeconds = new Histogram({
    name: 'rapport_segment_stream_phase_seconds',
    help: 'Where streaming evaluation spends its time, by phase: queued (a touched key waiting for its evaluation to start), scope (linked customers), definitions (and the latest job runs), memberships, verdicts, writes, record',
    labelNames: ['phase'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly segmentReconcileCorrections = new Counter({
    name: 'rapport_segment_reconcile_corrections_total',
    help: 'Memberships the segments job (the reconciler) found wrong and corrected, by segment and change',
    labelNames: ['segment', 'change'] as const,
    registers: [this.registry],
  });

  readonly segmentOutboxPending = new Gauge({
    name: 'rapport_segment_outbox_pending',
    help: 'Recorded segment changes not yet delivered, by outlet',
    labelNames: ['outlet'] as const,
    registers: [this.registry],
  });

  readonly segmentOutboxDeliveries = new Counter({
    name: 'rapport_segment_outbox_deliveries_total',
    help: 'Pages of segment changes handed from the outbox to an outlet, by outlet and outcome (delivered, failed: retried)',
    labelNames: ['outlet', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly httpRequestSeconds = new Histogram({
    name: 'rapport_http_request_duration_seconds',
    help: 'HTTP request latency by route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}
