/**
 * Reports benchmark: each marketing report (overview, lifecycle, channels, campaigns,
 * cohorts) over a large generated data set, for its default period and for a whole year —
 * the faster of two timed runs after a warm-up, in one process on the embedded store.
 * See benchmarks/README.md.
 */
import {
  readCampaignsReport,
  readChannelsReport,
  readCohortsReport,
  readLifecycleReport,
  readOverviewReport,
} from '@rapport/reports';
import { migrationsDir } from '@rapport/schemas';
import { migrate, type Store } from '@rapport/store';
import { runBenchmark } from '../lib/main.js';
import { trackChildren } from '../lib/child-process.js';
import { ensureDataset } from '../lib/dataset.js';
import { openDatasetStore } from '../lib/dataset-store.js';
import { loadAverage1m } from '../lib/machine.js';
import { DATASET_OPTIONS, parseIntegerOptions, usageOf } from '../lib/options.js';

const children = trackChildren();
const log = (message: string) => process.stdout.write(`${message}\n`);
const USAGE = usageOf('npm run bench:reports', DATASET_OPTIONS);
const YEAR = { from: '2024-01-01', to: '2025-01-01' };

const REPORTS: Record<
  string,
  (store: Store, range: { from?: string; to?: string }) => Promise<unknown>
> = {
  overview: (store, range) => readOverviewReport(store, { ...range, currency: 'USD' }),
  lifecycle: (store, range) => readLifecycleReport(store, { ...range, lapsedAfterDays: 90 }),
  channels: (store, range) => readChannelsReport(store, { ...range, currency: 'USD' }),
  campaigns: (store, range) =>
    readCampaignsReport(store, { ...range, attributionDays: 7, currency: 'USD' }),
  cohorts: (store, range) =>
    readCohortsReport(store, { ...range, granularity: 'month', currency: 'USD' }),
};

/**
 * A run's wall seconds, and the process's CPU seconds meanwhile (the engine runs a query on
 * every core it can): on cores shared with other work the CPU time says more than the wall's.
 */
async function timed(call: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await call();
  const used = process.cpuUsage(cpu);
  return {
    wall: Number(process.hrtime.bigint() - started) / 1e9,
    cpu: (used.user + used.system) / 1e6,
  };
}

async function run(options: { customers: number; seed: number }): Promise<void> {
  const load = loadAverage1m();
  log(`Reports benchmark: ${options.customers} people (seed ${options.seed}), load ${load}`);
  const dataset = await ensureDataset(options, { log, onSpawn: children.track });
  log(`  data set: ${dataset.marker.rows} events of ${dataset.marker.customers} people`);
  const store = await openDatasetStore(dataset.dir);
  try {
    // As the engine does on start: a data set built before a newer migration that backfills
    // what it adds (the report rollups, say) is upgraded in place, not rebuilt.
    const started = performance.now();
    const { applied } = await migrate(store, migrationsDir);
    if (applied.length > 0) {
      log(
        `  migrated: ${applied.join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    log('  report      period        best s   runs s (CPU s)');
    for (const [name, report] of Object.entries(REPORTS)) {
      for (const [period, range] of [
        ['default', {}],
        ['2024', YEAR],
      ] as const) {
        await report(store, range);
        const runs = [];
        for (let i = 0; i < 2; i++) runs.push(await timed(() => report(store, range)));
        const best = Math.min(...runs.map((run) => run.wall));
        const each = runs.map((run) => `${run.wall.toFixed(3)} (${run.cpu.toFixed(2)})`);
        log(
          `  ${name.padEnd(11)} ${period.padEnd(12)} ${best.toFixed(3).padStart(7)}   ${each.join(' ')}`,
        );
      }
    }
    log(`  load at the end ${loadAverage1m()}`);
  } finally {
    await store.close();
  }
}

await runBenchmark({
  name: 'Reports benchmark',
  usage: USAGE,
  parse: () => {
    const values = parseIntegerOptions(DATASET_OPTIONS, process.argv.slice(2));
    return values === undefined ? undefined : { customers: values.customers, seed: values.seed };
  },
  run,
  interrupted: children.interrupted,
});
