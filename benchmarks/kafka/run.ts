/**
 * Kafka benchmark: events through ingest → Kafka (Apache Kafka's broker on 127.0.0.1) → one
 * pipeline process on an embedded store, at a sustained rate; the pipeline's events/s, its
 * consumer lag over time, events per insert, CPU per event and peak memory. See
 * benchmarks/README.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { trackChildren } from '../lib/child-process.js';
import { checkoutOf, loadAverage1m, machineOf, migrationFiles, round } from '../lib/machine.js';
import { runBenchmark } from '../lib/main.js';
import { writeReport } from '../lib/report-file.js';
import { percentile, toMiB } from '../lib/stats.js';
import { generateEvents, toRequestBodies } from '../ingest/event-mix.js';
import { parseOptions, USAGE, type KafkaBenchOptions } from './options.js';
import { sendPaced } from './paced-load.js';
import { openLagReader } from './group-lag.js';
import { samplePipeline, type PipelineSample } from './pipeline-metrics.js';
import { startBroker, startIngest, startPipeline, type Started } from './processes.js';

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const WARMUP_EVENTS = 2_000;
const { track, interrupted } = trackChildren();
const log = (message: string) => process.stdout.write(`${message}\n`);

/** Reads the pipeline's metrics until `done` says so; fails past the deadline. */
async function sampleUntil(options: {
  pipeline: Started;
  readLag: () => Promise<number>;
  startedAt: number;
  everyMs: number;
  deadline: number;
  samples: PipelineSample[];
  done: (sample: PipelineSample) => boolean;
}): Promise<PipelineSample> {
  const { pipeline, startedAt, samples } = options;
  for (;;) {
    const sample = await samplePipeline({
      origin: pipeline.address,
      atMs: performance.now() - startedAt,
      cpuSeconds: pipeline.cpuSeconds() ?? NaN,
      readLag: options.readLag,
    });
    samples.push(sample);
    if (options.done(sample)) return sample;
    if (performance.now() > options.deadline) {
      throw new Error(`the pipeline did not drain in time: ${JSON.stringify(sample)}`);
    }
    if (interrupted()) throw new Error('interrupted');
    await sleep(options.everyMs);
  }
}

/** The highest rate of stored events over any window of about `windowMs`. */
function peakRate(samples: readonly PipelineSample[], windowMs: number): number {
  let best = 0;
  let from = 0;
  for (let to = 1; to < samples.length; to++) {
    while (samples[to]!.atMs - samples[from + 1]!.atMs >= windowMs) from++;
    const span = samples[to]!.atMs - samples[from]!.atMs;
    if (span >= windowMs) {
      best = Math.max(best, ((samples[to]!.rows - samples[from]!.rows) / span) * 1000);
    }
  }
  return best;
}

async function run(options: KafkaBenchOptions): Promise<void> {
  const loadAtStart = loadAverage1m();
  const work = await mkdtemp(join(tmpdir(), 'rapport-bench-kafka-'));
  const started: Started[] = [];
  const closers: (() => Promise<void>)[] = [];
  const deadline = performance.now() + options.timeoutS * 1000;
  try {
    log(
      `kafka benchmark: ${options.events} events at ${options.rate}/s in requests of ` +
        `${options.batchSize}, ${options.partitions} partitions, one pipeline process`,
    );
    const warmup = toRequestBodies(generateEvents(WARMUP_EVENTS, options.seed + 1, 'warm'), 500);
    const timed = toRequestBodies(
      generateEvents(options.events, options.seed, 'evt'),
      options.batchSize,
    );

    log('  starting the Kafka broker…');
    const broker = await startBroker(track);
    started.push(broker);
    const kafka = {
      KAFKA_BROKERS: broker.address,
      KAFKA_TOPIC_PARTITIONS: String(options.partitions),
      KAFKA_CONSUMER_GROUP: `bench-${randomUUID().slice(0, 8)}`,
    };
    const ingest = await startIngest({ kafka, onSpawn: track });
    started.push(ingest);
    const pipeline = await startPipeline({ kafka, dataDir: join(work, 'store'), onSpawn: track });
    started.push(pipeline);
    const lagReader = await openLagReader({
      brokers: broker.address,
      topic: 'rapport.events.v1',
      groupId: kafka.KAFKA_CONSUMER_GROUP,
    });
    closers.push(() => lagReader.close());
    const readLag = () => lagReader.read();
    log(`  broker ${broker.address}, ingest ${ingest.address}, pipeline ${pipeline.address}`);

    // Warm up: topic created, group joined, first inserts done.
    await sendPaced({
      origin: ingest.address,
      bodies: warmup,
      rate: 10_000,
      concurrency: 2,
      deadline,
    });
    const base = await sampleUntil({
      pipeline,
      readLag,
      startedAt: performance.now(),
      everyMs: 200,
      deadline,
      samples: [],
      done: (sample) => sample.rows >= WARMUP_EVENTS && sample.lag === 0,
    });

    log('  timed run…');
    const startedAt = performance.now();
    const samples: PipelineSample[] = [];
    const cpuBefore = pipeline.cpuSeconds() ?? NaN;
    const sampling = sampleUntil({
      pipeline,
      readLag,
      startedAt,
      everyMs: options.sampleMs,
      deadline,
      samples,
      done: (sample) => sample.rows - base.rows >= options.events && sample.lag === 0,
    });
    const load = await sendPaced({
      origin: ingest.address,
      bodies: timed,
      rate: options.rate,
      concurrency: options.concurrency,
      deadline,
    });
    const loadEndMs = performance.now() - startedAt;
    const last = await sampling;
    const cpu = last.cpuSeconds - cpuBefore;
    // The pipeline reads the lag from the brokers every 2 s: its /metrics follow shortly.
    const reported = await sampleUntil({
      pipeline,
      readLag,
      startedAt,
      everyMs: 100,
      deadline: Math.min(deadline, performance.now() + 15_000),
      samples: [],
      done: (sample) => sample.reportedLag === 0,
    }).catch(() => undefined);
    const peakRss = pipeline.peakRssBytes();
    const seconds = last.atMs / 1000;
    const stored = last.rows - base.rows;
    const writes = last.writes - base.writes;
    const lags = samples.map((sample) => sample.lag);

    const report = {
      benchmark: 'kafka',
      at: new Date().toISOString(),
      machine: machineOf(loadAtStart),
      checkout: checkoutOf(),
      migrations: migrationFiles(),
      options,
      figures: {
        offeredEventsPerSecond: options.rate,
        ingestAckedEventsPerSecond: round(load.events / load.seconds),
        ingestRetried503: load.retried,
        pipelineEventsPerSecond: round(stored / seconds),
        pipelinePeakEventsPerSecond5s: round(peakRate(samples, 5_000)),
        drainedSecondsAfterLoad: round(seconds - loadEndMs / 1000, 1),
        consumerLag: {
          p50: percentile(lags, 50),
          p90: percentile(lags, 90),
          max: Math.max(...lags),
          atEnd: last.lag,
          reportedByPipelineAtEnd: last.reportedLag,
          reportedZeroSecondsAfterDrained:
            reported === undefined ? null : round((reported.atMs - last.atMs) / 1000, 1),
        },
        eventsStored: stored,
        inserts: writes,
        eventsPerInsert: round(stored / writes),
        cpuMicrosecondsPerEvent: round((cpu / stored) * 1e6, 1),
        pipelineCores: round(cpu / seconds, 2),
        peakRssMiB: toMiB(peakRss),
      },
      lagOverTime: samples.map((sample) => ({
        s: round(sample.atMs / 1000, 1),
        lag: sample.lag,
        reportedLag: sample.reportedLag,
        stored: sample.rows - base.rows,
      })),
    };
    const f = report.figures;
    log(
      [
        '',
        `offered ${f.offeredEventsPerSecond} events/s, ingest acknowledged ${f.ingestAckedEventsPerSecond}/s (${f.ingestRetried503} requests answered 503 and sent again)`,
        `pipeline (1 process): ${f.pipelineEventsPerSecond} events/s over the run, ${f.pipelinePeakEventsPerSecond5s} at best over 5 s; drained ${f.drainedSecondsAfterLoad} s after the last request`,
        `consumer lag (messages, every ${options.sampleMs} ms): p50 ${f.consumerLag.p50}, p90 ${f.consumerLag.p90}, max ${f.consumerLag.max}, at the end ${f.consumerLag.atEnd}; the pipeline's /metrics said ${f.consumerLag.reportedByPipelineAtEnd} then, 0 after ${f.consumerLag.reportedZeroSecondsAfterDrained ?? 'more than 15'} s`,
        `inserts: ${f.inserts} for ${f.eventsStored} events, ${f.eventsPerInsert} events per insert`,
        `pipeline CPU ${f.cpuMicrosecondsPerEvent} µs per event (${f.pipelineCores} cores), peak RSS ${f.peakRssMiB} MiB`,
        `load average ${report.machine.loadAverage1m.start} at the start, ${report.machine.loadAverage1m.end} at the end`,
        '',
      ].join('\n'),
    );
    await writeReport(RESULTS, report);
    log('results written to benchmarks/kafka/results/latest.json');
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    for (const child of started.reverse()) await child.stop().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

await runBenchmark({
  name: 'kafka benchmark',
  usage: USAGE,
  parse: () => parseOptions(process.argv.slice(2)),
  run,
  interrupted,
});
