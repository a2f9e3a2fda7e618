// Reports through the API: each marketing report as a client gets it from a running engine,
// where reports take a turn among the heavy queries (one at a time by default, a thread per
// core each, RAPPORT_HEAVY_QUERY_*), for its default period and for 2024: a warm-up, then the
// faster of two runs, once the engine has copied its profile rows (see profile-rows-ready).
// Usage: npx tsx benchmarks/reports/through-api.ts <data dir>
// The data dir is a copy of a generated data set (benchmarks/.data/…): the engine migrates it.
// The engine runs as its own process (rapport start), reached over HTTP.
import { startEngine } from '../lib/engine-process.js';
import { loadAverage1m } from '../lib/machine.js';
import { profileRowsMirrored } from '../lib/profile-rows-ready.js';

const [dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: through-api.ts <data dir>');

const REPORTS = ['overview', 'lifecycle', 'channels', 'campaigns', 'cohorts'];
const PERIODS = [
  ['default', ''],
  ['2024', '?from=2024-01-01&to=2025-01-01'],
] as const;

const engine = await startEngine({
  dataDir: dir,
  env: { RAPPORT_SCHEDULE_SEGMENTS: 'off', RAPPORT_RATE_LIMIT_READ: '0' },
});

async function timed(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
  return (performance.now() - started) / 1000;
}

try {
  const waited = await profileRowsMirrored(engine.origin, {
    log: (message) => process.stdout.write(`${message}\n`),
  });
  if (waited > 5) process.stdout.write(`profile rows copied after ${Math.round(waited)} s\n`);
  process.stdout.write(`load ${loadAverage1m()}\nreport      period   best s   runs s\n`);
  for (const report of REPORTS) {
    for (const [period, query] of PERIODS) {
      const url = `${engine.origin}/v1/reports/${report}${query}`;
      await timed(url);
      const runs = [await timed(url), await timed(url)];
      process.stdout.write(
        `${report.padEnd(11)} ${period.padEnd(8)} ${Math.min(...runs)
          .toFixed(3)
          .padStart(6)}   ${runs.map((s) => s.toFixed(3)).join(' ')}\n`,
      );
    }
  }
  process.stdout.write(`load ${loadAverage1m()}\n`);
} finally {
  await engine.stop();
}
