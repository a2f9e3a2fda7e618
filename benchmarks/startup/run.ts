// Start-up: the time from starting the engine as `npm start` does to `/readyz` answering 200.
// Usage: npx tsx benchmarks/startup/run.ts [data dir] [starts=2] [--mirror-filled]
// Without a data dir, an empty store in a temporary directory; with one (a copy of a generated
// data set, benchmarks/.data/…, which the engine migrates and writes to), that store. The bundle
// `npm start` runs is built first, as its `prestart` does. Prints one JSON line per start.
// --mirror-filled: each start waits until the profile rows' local copy is filled and trusted
// before it stops the engine (timed: a stop seals the copy), so the next start opens a full one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../lib/child-process.js';
import { startEngine } from '../lib/engine-process.js';

const MIRROR_FILLED = '--mirror-filled';
const waitForMirror = process.argv.includes(MIRROR_FILLED);
const [dataArg, startsArg = '2'] = process.argv.slice(2).filter((arg) => arg !== MIRROR_FILLED);
const dataDir = dataArg ?? mkdtempSync(join(tmpdir(), 'rapport-startup-'));

const built = performance.now();
execFileSync(process.execPath, [join(REPO_ROOT, 'services/engine/bin/build.mjs')], {
  cwd: REPO_ROOT,
  stdio: 'ignore',
});
const buildSeconds = (performance.now() - built) / 1000;

async function readyAfter(origin: string, started: number): Promise<number> {
  for (;;) {
    const response = await fetch(`${origin}/readyz`).catch(() => undefined);
    await response?.arrayBuffer();
    if (response?.status === 200) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Rows the local copy holds once filled and trusted (the gauge stays 0 until then). */
async function mirroredRows(origin: string): Promise<number> {
  for (;;) {
    const metrics = await (await fetch(`${origin}/metrics`)).text();
    const rows = Number(/^rapport_profile_rows_mirrored (\d+)/m.exec(metrics)?.[1] ?? 0);
    if (rows > 0) return rows;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

try {
  for (let start = 1; start <= Number(startsArg); start++) {
    const load = Number(loadavg()[0]!.toFixed(2));
    const started = performance.now();
    const engine = await startEngine({
      dataDir,
      entry: join(REPO_ROOT, 'services/engine/bin/start.js'),
      startTimeoutMs: 30 * 60_000,
      env: { RAPPORT_SCHEDULE_SEGMENTS: 'off' },
    });
    const listening = performance.now() - started;
    const ready = await readyAfter(engine.origin, started);
    const cpu = engine.cpuSeconds();
    const mirrored = waitForMirror ? await mirroredRows(engine.origin) : undefined;
    const stopping = performance.now();
    await engine.stop();
    const stopSeconds = (performance.now() - stopping) / 1000;
    console.log(
      JSON.stringify({
        store: dataArg === undefined ? 'empty' : dataArg,
        start,
        bundleBuildSeconds: start === 1 ? Number(buildSeconds.toFixed(2)) : undefined,
        listeningSeconds: Number((listening / 1000).toFixed(2)),
        readySeconds: Number((ready / 1000).toFixed(2)),
        cpuSecondsAtReady: cpu === undefined ? undefined : Number(cpu.toFixed(2)),
        mirroredRows: mirrored,
        stopSeconds: Number(stopSeconds.toFixed(2)),
        load,
      }),
    );
  }
} finally {
  if (dataArg === undefined) rmSync(dataDir, { recursive: true, force: true });
}
