/**
 * Profile benchmark: profile lookups a second and their latency under concurrent load, on a
 * store holding a large generated data set, next to a trivial route of the same engine as the
 * ceiling; and the time `rapport replay` takes for the whole data set. See benchmarks/README.md.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from '../lib/report-file.js';
import { runBenchmark } from '../lib/main.js';
import { resultLine, runScript, trackChildren } from '../lib/child-process.js';
import { ensureDataset } from '../lib/dataset.js';
import { startEngine, type EngineProcess } from '../lib/engine-process.js';
import { loadAverage1m } from '../lib/machine.js';
import { fetchMetrics, metricValue } from '../lib/metrics.js';
import { currentRssBytes } from '../lib/process-stats.js';
import { runReplay } from '../lib/replay.js';
import type { LoadResult } from './load.js';
import { parseOptions, USAGE, type ProfilesBenchOptions } from './options.js';
import { buildReport, formatReport, type CacheCounters, type MeasuredLoad } from './report.js';
import { measureHeavyProfiles, type HeavyProfiles } from './heavy.js';
import { fetchProfiles } from './warmup.js';

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const LOAD_SCRIPT = fileURLToPath(new URL('./load.ts', import.meta.url));
const IDS_SCRIPT = fileURLToPath(new URL('./customer-ids.ts', import.meta.url));
/** Working-set customers first fetched one at a time: the miss path without queueing. */
const SEQUENTIAL_PROBE = 200;

const children = trackChildren();
const log = (message: string) => process.stdout.write(`${message}\n`);

async function cacheCounters(origin: string): Promise<CacheCounters> {
  const text = await fetchMetrics(origin);
  return {
    hits: metricValue(text, 'rapport_profile_cache_lookups_total', { result: 'hit' }),
    misses: metricValue(text, 'rapport_profile_cache_lookups_total', { result: 'miss' }),
    entries: metricValue(text, 'rapport_profile_cache_entries'),
  };
}

/** One autocannon run from a process of its own, with the engine's CPU and cache meanwhile. */
async function measureLoad(
  engine: EngineProcess,
  args: string[],
  options: ProfilesBenchOptions,
  duration: number,
): Promise<MeasuredLoad> {
  const before = await cacheCounters(engine.origin);
  const cpuBefore = engine.cpuSeconds();
  const run = await runScript(
    LOAD_SCRIPT,
    [
      ...['--origin', engine.origin],
      ...['--duration', String(duration)],
      ...['--connections', String(options.connections)],
      ...['--seed', String(options.seed)],
      ...args,
    ],
    { label: 'the load generator', onSpawn: children.track },
  );
  const cpuAfter = engine.cpuSeconds();
  const after = await cacheCounters(engine.origin);
  return {
    load: resultLine<LoadResult>(run.stdout, 'load'),
    engineCpuSeconds:
      cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
    loadGeneratorCpuSeconds: run.cpuSeconds,
    cache: {
      hits: after.hits - before.hits,
      misses: after.misses - before.misses,
      entries: after.entries,
    },
  };
}

const readIds = async (path: string) =>
  (await readFile(path, 'utf8')).split('\n').filter((id) => id !== '');

async function run(options: ProfilesBenchOptions): Promise<void> {
  const loadAtStart = loadAverage1m();
  log(
    `profile benchmark: ${options.customers} people (seed ${options.seed}), working set ` +
      `${options.workingSet}, ${options.connections} connections, ${options.duration} s a run`,
  );
  const dataset = await ensureDataset(
    { customers: options.customers, seed: options.seed },
    { log, onSpawn: children.track },
  );
  const { marker } = dataset;
  log(
    `  data set: ${marker.rows} events of ${marker.customers} people ` +
      `(${marker.identifiedCustomers} identified), loaded in ${marker.seconds} s` +
      `${dataset.built ? '' : ' when it was built'}`,
  );

  let replay;
  if (options.replay > 0) {
    log('  rapport replay: rebuilding every projection from the event log…');
    replay = await runReplay(dataset.dir, children.track);
    log(`  rapport replay took ${replay.seconds.toFixed(1)} s`);
  }

  const work = await mkdtemp(join(tmpdir(), 'rapport-bench-profiles-'));
  try {
    const workingSetFile = join(work, 'working-set.txt');
    const allFile = join(work, 'all.txt');
    const picked = await runScript(
      IDS_SCRIPT,
      [
        ...['--data-dir', dataset.dir],
        ...['--working-set', String(options.workingSet)],
        ...['--working-set-file', workingSetFile],
        ...['--all-file', allFile],
      ],
      { label: 'choosing the customers', onSpawn: children.track },
    );
    const counts = resultLine<{ workingSet: number; all: number }>(picked.stdout, 'customerIds');
    const workingSet = await readIds(workingSetFile);

    log('  starting the engine on the data set…');
    const engine = await startEngine({
      dataDir: dataset.dir,
      env: options.cacheMb > 0 ? { RAPPORT_PROFILE_CACHE_MB: String(options.cacheMb) } : {},
      // Opening a store of tens of millions of rows on a busy machine takes a while.
      startTimeoutMs: 300_000,
      onSpawn: children.track,
    });
    let stopped = false;
    try {
      const mirror = await waitForMirror(engine.origin, options.warmupSeconds);
      log(
        mirror.rows > 0
          ? `  profile rows copied to the local mirror: ${mirror.rows} in ${mirror.seconds.toFixed(1)} s`
          : '  the profile rows mirror is off or not filled: misses are read from the store',
      );
      let heavy: HeavyProfiles | undefined;
      if (options.heavy > 0) {
        log(
          `  heavy customers: ${options.heavy} with ${options.heavyDevices} devices each, added and read once…`,
        );
        heavy = await measureHeavyProfiles(engine.origin, {
          customers: options.heavy,
          devices: options.heavyDevices,
          perDevice: options.heavyEvents,
          settleSeconds: options.warmupSeconds,
        });
      }
      const rssBefore = currentRssBytes(engine.pid);
      const cacheBefore = await cacheCounters(engine.origin);
      log(`  warming the cache: ${workingSet.length} profiles…`);
      const deadline = performance.now() + options.warmupSeconds * 1000;
      const probe = await fetchProfiles(
        engine.origin,
        workingSet.slice(0, SEQUENTIAL_PROBE),
        1,
        deadline,
      );
      const warm = await fetchProfiles(
        engine.origin,
        workingSet.slice(SEQUENTIAL_PROBE),
        options.warmupConcurrency,
        deadline,
      );
      const cacheAfter = await cacheCounters(engine.origin);
      const rssAfter = currentRssBytes(engine.pid);
      const warmed = probe.requests + warm.requests;
      if (warmed < workingSet.length) {
        // Out of time: the hot run reads only the profiles the warm-up fetched.
        log(
          `  the warm-up ran out of time after ${warmed} profiles: the working set is cut to them`,
        );
        await writeFile(workingSetFile, workingSet.slice(0, warmed).join('\n'));
      }
      log(
        `  warmed in ${(probe.seconds + warm.seconds).toFixed(1)} s; ` +
          `ceiling run (GET /healthz, ${options.duration} s)…`,
      );
      const ceiling = await measureLoad(engine, ['--path', '/healthz'], options, options.duration);
      log(`  hot run (GET /v1/customers/:id over the working set, ${options.duration} s)…`);
      const hot = await measureLoad(
        engine,
        ['--ids-file', workingSetFile],
        options,
        options.duration,
      );
      let cold: MeasuredLoad | undefined;
      if (options.coldDuration > 0) {
        log(`  cold run (over all ${counts.all} identified customers, ${options.coldDuration} s)…`);
        cold = await measureLoad(engine, ['--ids-file', allFile], options, options.coldDuration);
      }
      const enginePeakRssBytes = engine.peakRssBytes();
      stopped = true;
      // The figures are in: a shutdown that goes wrong is reported, not a reason to lose them.
      let stopError: string | undefined;
      await engine.stop().catch((error: unknown) => {
        stopError = error instanceof Error ? error.message.slice(0, 2000) : String(error);
        process.stderr.write(`the engine did not stop cleanly: ${stopError}\n`);
      });

      const report = buildReport({
        options,
        loadAtStart,
        dataset,
        replay,
        identifiedCustomers: counts.all,
        requestedWorkingSet: workingSet.length,
        mirror,
        heavy,
        warmup: {
          probe,
          concurrent: warm,
          cache: {
            hits: cacheAfter.hits - cacheBefore.hits,
            misses: cacheAfter.misses - cacheBefore.misses,
            entries: cacheAfter.entries,
          },
          rssGrowthBytes:
            rssBefore === undefined || rssAfter === undefined ? undefined : rssAfter - rssBefore,
        },
        ceiling,
        hot,
        cold,
        enginePeakRssBytes,
        stopError,
      });
      log(`\n${formatReport(report)}\n`);
      await writeReport(RESULTS, report);
      log('results written to benchmarks/profiles/results/latest.json');
    } finally {
      if (!stopped) await engine.stop().catch(() => undefined);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Waits (at most `seconds`) until the engine serves profile rows from its local copy: after
 * another process opened the store (the customer ids were chosen in one), it rebuilds the rows
 * and copies them first. How many it holds and how long that took.
 */
async function waitForMirror(origin: string, seconds: number) {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  for (;;) {
    const rows = metricValue(await fetchMetrics(origin), 'rapport_profile_rows_mirrored');
    const waited = (performance.now() - started) / 1000;
    if (rows > 0 || performance.now() > deadline) return { rows, seconds: waited };
    if (process.env.RAPPORT_PROFILE_MIRROR === 'off') return { rows: 0, seconds: 0 };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

await runBenchmark({
  name: 'profile benchmark',
  usage: USAGE,
  parse: () => parseOptions(process.argv.slice(2)),
  run,
  interrupted: children.interrupted,
});
