/**
 * Real-time segments benchmark: the engine on a generated data set with the twenty segments
 * of the segments benchmark, under a sustained ingest load with streaming evaluation off and
 * on (one or more rounds, off first in odd rounds and on first in even ones, each phase on an
 * engine just started). Measures the entry latency from an event's 2xx to the change at a
 * loopback webhook, the ingest rate with evaluation on as a share of off, the reconciler's
 * corrections, the cost of a segments run with and without streaming, and the engine's CPU
 * and peak RSS.
 * See benchmarks/README.md.
 */
import { cp, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@rapport/config';
import { generateEvents } from '@rapport/testkit';
import { trackChildren } from '../lib/child-process.js';
import { ensureDataset } from '../lib/dataset.js';
import { startEngine, type EngineProcess } from '../lib/engine-process.js';
import { loadAverage1m, machineOf, round } from '../lib/machine.js';
import { fetchMetrics, metricValue } from '../lib/metrics.js';
import { runBenchmark } from '../lib/main.js';
import { parseIntegerOptions, usageOf } from '../lib/options.js';
import { writeReport } from '../lib/report-file.js';
import { toMiB } from '../lib/stats.js';
import { SEGMENT_SET } from '../segments/segment-set.js';
import { api, caughtUp, delivered, mergesSettled, segmentsRun } from './engine-api.js';
import { allArrived, entryLatency } from './latency.js';
import { bodiesOf, sustainedLoad } from './load.js';
import { measurePhase } from './phase.js';
import { startReceiver } from './receiver.js';

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const SPEC = {
  customers: { env: 'BENCH_CUSTOMERS', fallback: 20_000, min: 100, help: 'people loaded first' },
  seconds: { env: 'BENCH_SECONDS', fallback: 60, min: 5, help: 'seconds of load, off then on' },
  rounds: {
    env: 'BENCH_ROUNDS',
    fallback: 1,
    min: 1,
    help: 'rounds of a phase off and a phase on (even rounds on first), each on an engine just started',
  },
  seed: { env: 'BENCH_SEED', fallback: 1, min: 1, help: 'seed of the generated people' },
  pace: {
    env: 'BENCH_PACE',
    fallback: 0,
    min: 0,
    help: 'events/s to hold both phases to, for what streaming costs at one pace (0: as fast as the engine takes them)',
  },
  dataset: {
    env: 'BENCH_DATASET',
    fallback: 0,
    min: 0,
    help: '1: start from a copy of the generated data set of --customers people (benchmarks/.data, built if missing), not a load over HTTP',
  },
} as const;
const PROBE = 'rt-probe';
const SECRET = 'bench-webhook-secret-0123456789';

/**
 * The engine's rest after each streaming evaluation and its verdicts' nice value: as this
 * shell sets them, or their defaults.
 */
const { streamingRest: REST, streamingNice: NICE } = loadConfig({
  RAPPORT_STREAMING_REST: process.env.RAPPORT_STREAMING_REST,
  RAPPORT_STREAMING_NICE: process.env.RAPPORT_STREAMING_NICE,
}).segments;

/** The phases of a streaming evaluation the engine times (rapport_segment_stream_phase_seconds). */
const PHASES = [
  'queued',
  'scope',
  'definitions',
  'memberships',
  'verdicts',
  'writes',
  'record',
] as const;

type Options = Record<keyof typeof SPEC, number>;

const children = trackChildren();
const log = (message: string) => process.stdout.write(`${message}\n`);

function engineWith(dataDir: string, streaming: boolean, hook: string) {
  return startEngine({
    dataDir,
    env: {
      RAPPORT_SCHEDULE_SEGMENTS: 'off',
      RAPPORT_STREAMING_SEGMENTS: streaming ? 'on' : 'off',
      RAPPORT_WEBHOOK_URLS: hook,
      RAPPORT_WEBHOOK_SECRET: SECRET,
    },
    onSpawn: children.track,
  });
}

/**
 * The people loaded first: their generated history posted over HTTP to an engine with
 * streaming off, or a copy of the generated data set (history up to its fixed end).
 */
async function loadPeople(options: Options, dataDir: string, hook: string) {
  if (options.dataset > 0) {
    const started = performance.now();
    const dataset = await ensureDataset(options, { log, onSpawn: children.track });
    // The benchmark writes events, segments and memberships: never into the data set itself.
    // Its real path: benchmarks/.data may be a link to another disk.
    await cp(await realpath(dataset.dir), dataDir, { recursive: true });
    const seconds = (performance.now() - started) / 1000;
    log(`  copied the data set (${dataset.marker.rows} events) in ${seconds.toFixed(1)} s`);
    return {
      engine: await engineWith(dataDir, false, hook),
      preload: { events: dataset.marker.rows, seconds, from: 'data set copy' },
    };
  }
  const engine = await engineWith(dataDir, false, hook);
  const loaded = await sustainedLoad({
    origin: engine.origin,
    bodies: bodiesOf(
      generateEvents({ seed: options.seed, customers: options.customers, end: Date.now() }),
      1000,
    ),
    seconds: 3600,
    concurrency: 2,
  });
  log(`  loaded ${loaded.events} events in ${loaded.seconds.toFixed(1)} s`);
  return { engine, preload: { events: loaded.events, seconds: loaded.seconds, from: 'HTTP' } };
}

/** The twenty segments and the probe segment (saved again where the data set has them). */
async function saveSegments(engine: EngineProcess) {
  for (const segment of [
    ...SEGMENT_SET,
    {
      id: PROBE,
      name: 'Probe',
      rule: { type: 'field', field: 'traits.probe', op: 'eq', value: 'yes' },
    },
  ]) {
    const saved = await fetch(`${engine.origin}/v1/segments/${segment.id}`);
    await saved.arrayBuffer();
    if (saved.status === 404) await api(engine, '/v1/segments', segment);
    else {
      const { name, rule } = segment;
      await api(engine, `/v1/segments/${segment.id}`, { name, rule }, 'PUT');
    }
  }
}

const phaseLine = (
  label: string,
  phase: { rate: number; events: number; seconds: number; refused: number; cpuSeconds: number },
) =>
  `${label}: ${Math.round(phase.rate)} events/s (${phase.events} in ${phase.seconds.toFixed(1)} s, ${phase.refused} refused), engine CPU ${phase.cpuSeconds.toFixed(1)} s`;

const settledLine = (settled: { seconds: number; settled: boolean }) =>
  `store's merges ${settled.settled ? 'settled' : 'still running'} after ${settled.seconds.toFixed(1)} s`;

/**
 * The streaming evaluations an engine made between two reads of its metrics (`before` taken
 * once its start-up catch-up was evaluated): how many, how long, and where the time went.
 */
function evaluationsBetween(before: string, after: string) {
  const value = (name: string, labels?: Record<string, string>) =>
    metricValue(after, name, labels) - metricValue(before, name, labels);
  const evaluations = value('rapport_segment_stream_seconds_count');
  const seconds = value('rapport_segment_stream_seconds_sum');
  // Where they spent it: count, and seconds summed, of each phase.
  const phases = Object.fromEntries(
    PHASES.map((phase) => {
      const count = value('rapport_segment_stream_phase_seconds_count', { phase });
      const phaseSeconds = value('rapport_segment_stream_phase_seconds_sum', { phase });
      return [
        phase,
        {
          count,
          seconds: round(phaseSeconds, 1),
          meanMs: round((1000 * phaseSeconds) / Math.max(1, count), 0),
        },
      ];
    }),
  );
  // How many took over 1 s and over 2.5 s (the histogram's buckets: count minus those within).
  const over = (le: string) => evaluations - value('rapport_segment_stream_seconds_bucket', { le });
  return {
    count: evaluations,
    meanSeconds: round(seconds / Math.max(1, evaluations), 3),
    busySeconds: round(seconds, 1),
    overOneSecond: over('1'),
    overTwoAndAHalfSeconds: over('2.5'),
    phases,
  };
}

async function run(options: Options) {
  const loadAtStart = loadAverage1m();
  const dataDir = await mkdtemp(join(tmpdir(), 'rapport-bench-rt-'));
  const receiver = await startReceiver(PROBE);
  // Load events: other people than those loaded first, enough for every phase.
  const load = bodiesOf(
    generateEvents({ seed: options.seed + 1, customers: 1_000_000, end: Date.now() }),
    100,
  );
  /** The engine running, if any: stopped whatever happens. */
  let running: EngineProcess | undefined;
  /** When the running engine was started (performance.now()). */
  let runningSince = 0;
  const restart = async (streaming: boolean) => {
    const stopping = running;
    running = undefined;
    await stopping?.stop();
    runningSince = performance.now();
    running = await engineWith(dataDir, streaming, receiver.url);
    return running;
  };
  /** Seconds from the running engine's start to the load of `phase`. */
  const ageAtLoad = (phase: { startedAt: number }) =>
    round((phase.startedAt - runningSince) / 1000, 1);
  try {
    log(
      `Real-time segments benchmark: ${options.customers} people, ${options.seconds} s per phase, ${options.rounds} round(s), rest ${REST}, nice ${NICE}`,
    );
    const loaded = await loadPeople(options, dataDir, receiver.url);
    running = loaded.engine;
    const { preload } = loaded;
    await saveSegments(running);
    const first = await segmentsRun(running);
    log(`  first segments run: ${first.seconds.toFixed(2)} s, ${first.changes} entries`);
    const firstDelivered = await delivered(receiver, 0, first.changes);
    log(`  its changes taken by the webhook after ${firstDelivered.toFixed(1)} s more`);

    const rounds = [];
    for (let n = 1; n <= options.rounds; n++) {
      const say = (message: string) =>
        log(`  ${options.rounds > 1 ? `round ${n}, ` : ''}${message}`);
      // The load on an engine; with streaming on, the probes too.
      const phase = (engine: EngineProcess, streaming: boolean) =>
        measurePhase({
          engine,
          bodies: load,
          seconds: options.seconds,
          label: `${streaming ? 'on' : 'off'}-${n}`,
          probes: streaming,
          ...(options.pace > 0 ? { pace: options.pace } : {}),
        });
      // Each phase on an engine just started, after a segments run the webhook has taken.
      const phaseOff = async () => {
        const engine = await restart(false);
        const settled = await mergesSettled(engine);
        say(settledLine(settled));
        const off = await phase(engine, false);
        say(phaseLine('off', off));
        const beforeToday = receiver.changes();
        const today = await segmentsRun(engine);
        say(`segments run, streaming off: ${today.seconds.toFixed(2)} s, ${today.changes} changes`);
        await delivered(receiver, beforeToday, today.changes);
        return { off, age: ageAtLoad(off), settled, today, peak: engine.peakRssBytes() };
      };
      const phaseOn = async () => {
        const engine = await restart(true);
        const catchUp = await caughtUp(engine);
        say(
          `start-up catch-up: ${catchUp.evaluations} evaluations (${catchUp.keys} keys waiting at most) in ${catchUp.seconds.toFixed(1)} s`,
        );
        const settled = await mergesSettled(engine);
        say(settledLine(settled));
        const caughtUpMetrics = await fetchMetrics(engine.origin);
        const on = await phase(engine, true);
        say(phaseLine('on', on));
        // Let the last probes arrive.
        const waitUntil = performance.now() + 30_000;
        while (performance.now() < waitUntil && !allArrived([on], receiver)) {
          await sleep(100);
        }
        const metrics = await fetchMetrics(engine.origin);
        const evaluations = evaluationsBetween(caughtUpMetrics, metrics);
        say(
          `streaming evaluations: ${evaluations.count}, ${evaluations.meanSeconds.toFixed(3)} s each on average; phases (count × mean ms): ${PHASES.map((p) => `${p} ${evaluations.phases[p]!.count} × ${evaluations.phases[p]!.meanMs}`).join(', ')}`,
        );
        const reconcile = await segmentsRun(engine);
        say(
          `segments run as reconciler: ${reconcile.seconds.toFixed(2)} s, ${reconcile.corrections} corrections`,
        );
        return {
          on,
          age: ageAtLoad(on),
          settled,
          catchUp,
          metrics,
          evaluations,
          reconcile,
          peak: engine.peakRssBytes(),
        };
      };
      // Counterbalanced (see benchmarks/README.md): odd rounds off then on, even rounds on
      // then off, so that neither phase always comes later in the store's merges.
      const onFirst = n % 2 === 0;
      let offPhase;
      let onPhase;
      if (onFirst) {
        onPhase = await phaseOn();
        offPhase = await phaseOff();
      } else {
        offPhase = await phaseOff();
        onPhase = await phaseOn();
      }
      const { off, today } = offPhase;
      const { on, catchUp, metrics, evaluations, reconcile } = onPhase;
      rounds.push({
        off,
        on,
        report: {
          ingest: {
            offEventsPerSecond: Math.round(off.rate),
            onEventsPerSecond: Math.round(on.rate),
            share: round(on.rate / off.rate, 2),
          },
          order: onFirst ? 'on, off' : 'off, on',
          // How long each phase waited for the store's merges of the work before it.
          mergesSettledSeconds: {
            off: round(offPhase.settled.seconds, 1),
            on: round(onPhase.settled.seconds, 1),
            settled: offPhase.settled.settled && onPhase.settled.settled,
          },
          catchUp: {
            keysWaitingAtMost: catchUp.keys,
            evaluations: catchUp.evaluations,
            seconds: round(catchUp.seconds, 1),
          },
          entryLatencyMs: entryLatency([on], receiver),
          // With 'auto': the rest the engine came to and the share of ingest it measured.
          restAtEnd: round(metricValue(metrics, 'rapport_segment_stream_rest_ratio'), 2),
          restEverySecond: on.rests.join(' '),
          keysWaitingEverySecond: on.waiting.join(' '),
          measuredIngestShare: round(
            metricValue(metrics, 'rapport_segment_stream_ingest_share'),
            2,
          ),
          streamingEvaluations: evaluations,
          reconcile: { corrections: reconcile.corrections, seconds: round(reconcile.seconds, 2) },
          segmentsRunStreamingOff: { seconds: round(today.seconds, 2), changes: today.changes },
          engine: {
            cpuSecondsOff: round(off.cpuSeconds, 1),
            cpuSecondsOn: round(on.cpuSeconds, 1),
            // Cores kept busy: at a pace (--pace), on less off is what streaming costs.
            coresOff: round(off.cpuSeconds / off.seconds, 3),
            coresOn: round(on.cpuSeconds / on.seconds, 3),
            peakRssMiBOff: toMiB(offPhase.peak),
            peakRssMiBOn: toMiB(onPhase.peak),
            // Where its CPU went, by thread name (see benchmarks/lib/thread-cpu.ts), and how
            // long it had been started when the load began.
            threadCpuSecondsOff: off.threadCpuSeconds,
            threadCpuSecondsOn: on.threadCpuSeconds,
            startedSecondsBeforeLoadOff: offPhase.age,
            startedSecondsBeforeLoadOn: onPhase.age,
          },
          threadsEverySecond: { off: off.threadsEverySecond, on: on.threadsEverySecond },
        },
      });
    }
    const stopping = running;
    running = undefined;
    await stopping.stop();

    const rate = (phases: { events: number; seconds: number }[]) =>
      phases.reduce((sum, p) => sum + p.events, 0) / phases.reduce((sum, p) => sum + p.seconds, 0);
    const cores = (phases: { cpuSeconds: number; seconds: number }[]) =>
      phases.reduce((sum, p) => sum + p.cpuSeconds, 0) /
      phases.reduce((sum, p) => sum + p.seconds, 0);
    const offRate = rate(rounds.map((r) => r.off));
    const onRate = rate(rounds.map((r) => r.on));
    const report = {
      machine: machineOf(loadAtStart),
      options,
      // The engine's rest after each evaluation (RAPPORT_STREAMING_REST in this shell).
      streamingRest: REST,
      // The nice value of its verdict statements (RAPPORT_STREAMING_NICE in this shell).
      streamingNice: NICE,
      preload: { ...preload, seconds: round(preload.seconds, 1) },
      firstSegmentsRun: { seconds: round(first.seconds, 2), entries: first.changes },
      // Every round's phases together: events over seconds, and every probe.
      ingest: {
        offEventsPerSecond: Math.round(offRate),
        onEventsPerSecond: Math.round(onRate),
        share: round(onRate / offRate, 2),
        shareEachRound: rounds.map((r) => r.report.ingest.share),
      },
      // The engine's cores over every round's phases; at a pace, on less off is streaming's.
      engineCores: {
        off: round(cores(rounds.map((r) => r.off)), 3),
        on: round(cores(rounds.map((r) => r.on)), 3),
      },
      entryLatencyMs: entryLatency(
        rounds.map((r) => r.on),
        receiver,
      ),
      corrections: rounds.reduce((sum, r) => sum + r.report.reconcile.corrections, 0),
      rounds: rounds.map((r) => r.report),
      webhook: {
        changes: receiver.changes(),
        unreadableBodies: receiver.unreadable(),
        cutShort: receiver.cutShort(),
      },
    };
    log(`\n${JSON.stringify(report, null, 2)}\n`);
    await writeReport(RESULTS, report);
    log('results written to benchmarks/realtime-segments/results/latest.json');
  } finally {
    await running?.stop().catch(() => undefined);
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await runBenchmark({
  name: 'Real-time segments benchmark',
  usage: usageOf('npm run bench:realtime-segments', SPEC),
  parse: () => {
    const values = parseIntegerOptions(SPEC, process.argv.slice(2));
    return values === undefined ? undefined : { ...values };
  },
  run,
  interrupted: children.interrupted,
});
