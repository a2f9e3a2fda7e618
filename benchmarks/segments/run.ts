/**
 * Segments benchmark: the segments job evaluating twenty mixed segments over a large
 * generated data set (first run: everyone enters; second run: nothing changed), and the
 * clusters job over the same profiles (seconds per phase, k, inertia). See benchmarks/README.md.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBenchmark } from '../lib/main.js';
import { resultLine, runScript, trackChildren } from '../lib/child-process.js';
import { DATASET_END, ensureDataset } from '../lib/dataset.js';
import { startEngine } from '../lib/engine-process.js';
import { runJobCommand, type JobCommandResult } from '../lib/job-command.js';
import { loadAverage1m } from '../lib/machine.js';
import { DATASET_OPTIONS, parseIntegerOptions, usageOf } from '../lib/options.js';
import { writeReport } from '../lib/report-file.js';
import { buildReport, formatReport } from './report.js';
import { NEW_SEGMENT, savedSegment } from './saved-segment.js';
import { SEGMENT_SET } from './segment-set.js';

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const FORGET = fileURLToPath(new URL('./forget.ts', import.meta.url));
const CHANGE = fileURLToPath(new URL('./change-profiles.ts', import.meta.url));
/** The share of profiles given a new event before the last segments run (on a copy). */
const CHANGED_SHARE = 0.01;
const AS_OF = DATASET_END.slice(0, 10);

const SPEC = DATASET_OPTIONS;
const USAGE = usageOf('npm run bench:segments', SPEC);

const children = trackChildren();
const log = (message: string) => process.stdout.write(`${message}\n`);

/** Saves the twenty segments through the API, as a marketer's tool would. */
async function defineSegments(dataDir: string): Promise<void> {
  const engine = await startEngine({
    dataDir,
    env: { RAPPORT_SCHEDULE_SEGMENTS: 'off' },
    onSpawn: children.track,
  });
  try {
    for (const segment of SEGMENT_SET) {
      const response = await fetch(`${engine.origin}/v1/segments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(segment),
      });
      if (response.status !== 201) {
        throw new Error(
          `saving segment ${segment.id}: ${response.status} ${await response.text()}`,
        );
      }
    }
  } finally {
    await engine.stop();
  }
}

async function job(dataDir: string, name: string, args: string[] = []): Promise<JobCommandResult> {
  const result = await runJobCommand(dataDir, name, args, children.track);
  if (result.status !== 'succeeded') throw new Error(`the ${name} run ended ${result.status}`);
  log(
    `  ${name}: ${result.totalSeconds.toFixed(2)} s (${result.phases.map((p) => `${p.name} ${p.seconds.toFixed(2)}`).join(', ')})`,
  );
  return result;
}

/**
 * On a copy of the data set (its events change): gives CHANGED_SHARE of the profiles a new
 * event, then runs segments and clusters again, each snapshot taken from the one before.
 */
async function afterChanges(datasetDir: string) {
  const copy = await mkdtemp(join(tmpdir(), 'rapport-segments-bench-'));
  try {
    const started = performance.now();
    // Not the profile rows' local copy: the jobs do not read it.
    await cp(datasetDir, copy, {
      recursive: true,
      filter: (source) => !basename(source).startsWith('profile-mirror'),
    });
    log(`  copied the data set in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const changedRun = await runScript(
      CHANGE,
      ['--data-dir', copy, '--share', String(CHANGED_SHARE)],
      { label: 'changing profiles', onSpawn: children.track },
    );
    const profiles = resultLine<number>(changedRun.stdout, 'changed');
    log(`  segments, third run (${profiles} profiles given a new event):`);
    const segments = await job(copy, 'segments');
    log('  clusters, from that snapshot:');
    const clusters = await job(copy, 'clusters');
    return { share: CHANGED_SHARE, profiles, segments, clusters };
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

async function run(options: { customers: number; seed: number }): Promise<void> {
  const loadAtStart = loadAverage1m();
  log(`Segments benchmark: ${options.customers} people (seed ${options.seed})`);
  const dataset = await ensureDataset(options, { log, onSpawn: children.track });
  const forget = () =>
    runScript(FORGET, ['--data-dir', dataset.dir], {
      label: 'forgetting the runs',
      onSpawn: children.track,
    });
  await forget();
  try {
    log(`  saving ${SEGMENT_SET.length} segments through the API…`);
    await defineSegments(dataset.dir);
    log('  the scores rules refer to:');
    const rfm = await job(dataset.dir, 'rfm', ['--as-of', AS_OF]);
    const clv = await job(dataset.dir, 'clv', ['--as-of', AS_OF]);
    log('  segments, first run (every member enters):');
    const first = await job(dataset.dir, 'segments');
    log('  segments, second run (nothing changed):');
    const second = await job(dataset.dir, 'segments');
    log(`  a new segment saved on the engine (${NEW_SEGMENT.id}), its members:`);
    const saved = await savedSegment(dataset.dir, { onSpawn: children.track, log });
    log(
      `  members after ${saved.secondsToMembers} s, the run ${saved.secondsToRunEnd} s ` +
        `(${saved.run.phases.map((p) => `${p.name} ${p.seconds.toFixed(2)}`).join(', ')}), ` +
        `${saved.run.members} members`,
    );
    log('  clusters:');
    const clusters = await job(dataset.dir, 'clusters');
    const changed = await afterChanges(dataset.dir);
    const report = buildReport({
      options,
      loadAtStart,
      dataset,
      prerequisites: { rfm, clv },
      segments: [first, second],
      saved,
      clusters,
      changed,
    });
    log(`\n${formatReport(report)}\n`);
    await writeReport(RESULTS, report);
    log('results written to benchmarks/segments/results/latest.json');
  } finally {
    await forget();
  }
}

await runBenchmark({
  name: 'Segments benchmark',
  usage: USAGE,
  parse: () => {
    const values = parseIntegerOptions(SPEC, process.argv.slice(2));
    return values === undefined ? undefined : { customers: values.customers, seed: values.seed };
  },
  run,
  interrupted: children.interrupted,
});
