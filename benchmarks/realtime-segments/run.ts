/**
 * Real-time segments benchmark: the engine on a generated data set with the twenty segments
 * of the segments benchmark, under a sustained ingest load with streaming evaluation off, then
 * on. Measures the entry latency from an event's 2xx to the change at a loopback webhook, the
 * ingest rate with evaluation on as a share of off, the reconciler's corrections, the cost of
 * a segments run with and without streaming, and the engine's CPU and peak RSS.
 * See benchmarks/README.md.
 */
import { cp, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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
import { percentile, toMiB } from '../lib/stats.js';
import { SEGMENT_SET } from '../segments/segment-set.js';
import { bodiesOf, sustainedLoad } from './load.js';
import { startReceiver } from './receiver.js';

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const SPEC = {
  customers: { env: 'BENCH_CUSTOMERS', fallback: 20_000, min: 100, help: 'people loaded first' },
  seconds: { env: 'BENCH_SECONDS', fallback: 60, min: 5, help: 'seconds of load, off then on' },
  seed: { env: 'BENCH_SEED', fallback: 1, min: 1, help: 'seed of the generated people' },
  dataset: {
    env: 'BENCH_DATASET',
    fallback: 0,
    min: 0,
    help: '1: start from a copy of the generated data set of --customers people (benchmarks/.data, built if missing), not a load over HTTP',
  },
} as const;
const PROBE = 'rt-probe';
const SECRET = 'bench-webhook-secret-0123456789';

/** Probes sent this long after the load started are also counted apart (see `steady`). */
const STEADY_AFTER_MS = 15_000;

/** The engine's rest after each streaming evaluation: as this shell sets it, or its default. */
const REST = loadConfig({ RAPPORT_STREAMING_REST: process.env.RAPPORT_STREAMING_REST }).segments
  .streamingRest;

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

const children = trackChildren();
const log = (message: string) => process.stdout.write(`${message}\n`);

async function api(engine: EngineProcess, path: string, body?: unknown, method?: 'PUT') {
  const response = await fetch(`${engine.origin}${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Runs the segments job through the API; its seconds and summary. */
async function segmentsRun(engine: EngineProcess) {
  const { runId } = (await api(engine, '/v1/jobs/segments/runs', {})) as { runId: string };
  for (;;) {
    const run = (await api(engine, `/v1/jobs/runs/${runId}`)) as {
      status: string;
      summary: {
        corrections?: { total: number };
        segments?: Record<string, { entered: number; exited: number }>;
      };
      startedAt: string;
      finishedAt: string | null;
    };
    if (run.status !== 'running' && run.status !== 'queued') {
      if (run.status !== 'succeeded') throw new Error(`segments run ${run.status}`);
      const changes = Object.values(run.summary.segments ?? {}).reduce(
        (sum, s) => sum + s.entered + s.exited,
        0,
      );
      return {
        seconds: (Date.parse(run.finishedAt ?? '') - Date.parse(run.startedAt)) / 1000,
        corrections: run.summary.corrections?.total ?? 0,
        changes,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Waits until the webhook has taken `count` more changes than `from` (at most 15 minutes, or
 * until none came for 10 s): a run's changes are delivered before the next phase, or the
 * probes' entries would queue behind them (at a million people the first run enters hundreds
 * of thousands).
 */
async function delivered(
  receiver: Awaited<ReturnType<typeof startReceiver>>,
  from: number,
  count: number,
) {
  const started = performance.now();
  let seen = receiver.changes();
  let lastGrowth = started;
  while (receiver.changes() - from < count && performance.now() - started < 15 * 60_000) {
    // Nothing more for 10 s: there is nothing more to come (a change counted twice, say).
    if (performance.now() - lastGrowth > 10_000) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (receiver.changes() > seen) {
      seen = receiver.changes();
      lastGrowth = performance.now();
    }
  }
  return (performance.now() - started) / 1000;
}

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
async function loadPeople(
  options: { customers: number; seed: number; dataset: number },
  dataDir: string,
  hook: string,
) {
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

async function run(options: { customers: number; seconds: number; seed: number; dataset: number }) {
  const loadAtStart = loadAverage1m();
  const dataDir = await mkdtemp(join(tmpdir(), 'rapport-bench-rt-'));
  const receiver = await startReceiver(PROBE);
  // Load events: other people than those loaded first, enough for both phases.
  const load = bodiesOf(
    generateEvents({ seed: options.seed + 1, customers: 1_000_000, end: Date.now() }),
    100,
  );
  /** The engine running, if any: stopped whatever happens. */
  let running: EngineProcess | undefined;
  try {
    log(
      `Real-time segments benchmark: ${options.customers} people, ${options.seconds} s per phase, rest ${REST}`,
    );
    const loaded = await loadPeople(options, dataDir, receiver.url);
    let engine = loaded.engine;
    running = engine;
    const { preload } = loaded;
    for (const segment of [
      ...SEGMENT_SET,
      {
        id: PROBE,
        name: 'Probe',
        rule: { type: 'field', field: 'traits.probe', op: 'eq', value: 'yes' },
      },
    ]) {
      // A data set the segments benchmark ran on has them already: they are saved again.
      const saved = await fetch(`${engine.origin}/v1/segments/${segment.id}`);
      await saved.arrayBuffer();
      if (saved.status === 404) await api(engine, '/v1/segments', segment);
      else {
        const { name, rule } = segment;
        await api(engine, `/v1/segments/${segment.id}`, { name, rule }, 'PUT');
      }
    }
    const first = await segmentsRun(engine);
    log(`  first segments run: ${first.seconds.toFixed(2)} s, ${first.changes} entries`);
    const firstDelivered = await delivered(receiver, 0, first.changes);
    log(`  its changes taken by the webhook after ${firstDelivered.toFixed(1)} s more`);

    const measure = async (label: string, probes: boolean) => {
      const cpu0 = engine.cpuSeconds() ?? 0;
      const startedAt = performance.now();
      const sent = new Map<string, number>();
      let stopProbes = false;
      const prober = (async () => {
        for (let n = 0; probes && !stopProbes; n++) {
          const customerId = `probe-${label}-${n}`;
          const response = await fetch(`${engine.origin}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              events: [
                {
                  type: 'identify',
                  customerId,
                  traits: { probe: 'yes' },
                  timestamp: new Date().toISOString(),
                },
              ],
            }),
          });
          await response.arrayBuffer();
          if (response.status === 200) sent.set(customerId, performance.now());
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      // The rest the engine came to, every second of the load (its gauge, once set).
      const rests: number[] = [];
      const sampler = (async () => {
        while (probes && !stopProbes) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          const rest = metricValue(
            await fetchMetrics(engine.origin),
            'rapport_segment_stream_rest_ratio',
          );
          rests.push(round(rest, 2));
        }
      })();
      const result = await sustainedLoad({
        origin: engine.origin,
        bodies: load,
        seconds: options.seconds,
        concurrency: 4,
      });
      stopProbes = true;
      await prober;
      await sampler;
      const cpu = (engine.cpuSeconds() ?? 0) - cpu0;
      log(
        `  ${label}: ${Math.round(result.rate)} events/s (${result.events} in ${result.seconds.toFixed(1)} s, ${result.refused} refused), engine CPU ${cpu.toFixed(1)} s`,
      );
      return { ...result, cpuSeconds: cpu, sent, rests, startedAt };
    };

    const off = await measure('off', false);
    const beforeToday = receiver.changes();
    const today = await segmentsRun(engine);
    log(`  segments run, streaming off: ${today.seconds.toFixed(2)} s, ${today.changes} changes`);
    await delivered(receiver, beforeToday, today.changes);
    const peakOff = engine.peakRssBytes();
    running = undefined;
    await engine.stop();

    engine = await engineWith(dataDir, true, receiver.url);
    running = engine;
    const on = await measure('on', true);
    // Let the last probes arrive.
    const waitUntil = performance.now() + 30_000;
    while (
      performance.now() < waitUntil &&
      [...on.sent.keys()].some((id) => !receiver.arrivals.has(id))
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const latencies = [...on.sent].flatMap(([id, at]) => {
      const arrived = receiver.arrivals.get(id);
      return arrived === undefined ? [] : [arrived - at];
    });
    const lost = on.sent.size - latencies.length;
    // The probes sent from the STEADY_AFTER_MS on: the engine started just before the load,
    // and with RAPPORT_STREAMING_REST=auto sets its rest in the first seconds.
    const steady = [...on.sent].flatMap(([id, at]) => {
      const arrived = receiver.arrivals.get(id);
      return arrived === undefined || at < on.startedAt + STEADY_AFTER_MS ? [] : [arrived - at];
    });
    // Each latency in two: from the 2xx until the evaluation that took the probe began (the
    // pipeline's commit and the wait behind the evaluation before), and from then until the
    // webhook had it (the evaluation itself, its writes and the delivery).
    const afterStart = [...on.sent.keys()].flatMap((id) => {
      const since = receiver.sinceEvaluated.get(id);
      return since === undefined ? [] : [since];
    });
    const beforeStart = [...on.sent].flatMap(([id, at]) => {
      const arrived = receiver.arrivals.get(id);
      const since = receiver.sinceEvaluated.get(id);
      return arrived === undefined || since === undefined ? [] : [arrived - at - since];
    });
    // How the evaluation kept up: how many it made and how long each took, on average.
    const metrics = await fetchMetrics(engine.origin);
    const evaluations = metricValue(metrics, 'rapport_segment_stream_seconds_count');
    const evaluationSeconds = metricValue(metrics, 'rapport_segment_stream_seconds_sum');
    log(
      `  streaming evaluations: ${evaluations}, ${(evaluationSeconds / Math.max(1, evaluations)).toFixed(3)} s each on average`,
    );
    // Where they spent it: count, and seconds summed, of each phase.
    const phases = Object.fromEntries(
      PHASES.map((phase) => {
        const sample = (suffix: string) =>
          metricValue(metrics, `rapport_segment_stream_phase_seconds_${suffix}`, { phase });
        const count = sample('count');
        const seconds = sample('sum');
        return [
          phase,
          {
            count,
            seconds: round(seconds, 1),
            meanMs: round((1000 * seconds) / Math.max(1, count), 0),
          },
        ];
      }),
    );
    log(
      `  phases (count × mean ms): ${PHASES.map((p) => `${p} ${phases[p]!.count} × ${phases[p]!.meanMs}`).join(', ')}`,
    );
    const reconcile = await segmentsRun(engine);
    log(
      `  segments run as reconciler: ${reconcile.seconds.toFixed(2)} s, ${reconcile.corrections} corrections`,
    );
    const peakOn = engine.peakRssBytes();
    running = undefined;
    await engine.stop();

    const msOf = (values: number[], p: number) => round(percentile(values, p), 0);
    const ms = (p: number) => msOf(latencies, p);
    const report = {
      machine: machineOf(loadAtStart),
      options,
      // The engine's rest after each evaluation (RAPPORT_STREAMING_REST in this shell), and
      // with 'auto' the rest it came to and the share of ingest it measured, at the end.
      streamingRest: REST,
      restAtEnd: round(metricValue(metrics, 'rapport_segment_stream_rest_ratio'), 2),
      restEverySecond: on.rests.join(' '),
      measuredIngestShare: round(metricValue(metrics, 'rapport_segment_stream_ingest_share'), 2),
      preload: { ...preload, seconds: round(preload.seconds, 1) },
      ingest: {
        offEventsPerSecond: Math.round(off.rate),
        onEventsPerSecond: Math.round(on.rate),
        share: round(on.rate / off.rate, 2),
      },
      entryLatencyMs: {
        probes: on.sent.size,
        arrived: latencies.length,
        notArrived: lost,
        p50: ms(50),
        p95: ms(95),
        p99: ms(99),
        max: round(Math.max(...latencies), 0),
        fromSecond15: {
          probes: steady.length,
          p50: msOf(steady, 50),
          p95: msOf(steady, 95),
          p99: msOf(steady, 99),
        },
        untilEvaluationBegan: { p50: msOf(beforeStart, 50), p95: msOf(beforeStart, 95) },
        evaluationToWebhook: { p50: msOf(afterStart, 50), p95: msOf(afterStart, 95) },
      },
      streamingEvaluations: {
        count: evaluations,
        meanSeconds: round(evaluationSeconds / Math.max(1, evaluations), 3),
        busySeconds: round(evaluationSeconds, 1),
        phases,
      },
      reconcile: { corrections: reconcile.corrections, seconds: round(reconcile.seconds, 2) },
      segmentsRunStreamingOff: { seconds: round(today.seconds, 2), changes: today.changes },
      firstSegmentsRun: { seconds: round(first.seconds, 2), entries: first.changes },
      webhook: {
        changes: receiver.changes(),
        unreadableBodies: receiver.unreadable(),
        cutShort: receiver.cutShort(),
      },
      engine: {
        cpuSecondsOff: round(off.cpuSeconds, 1),
        cpuSecondsOn: round(on.cpuSeconds, 1),
        peakRssMiBOff: toMiB(peakOff),
        peakRssMiBOn: toMiB(peakOn),
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
