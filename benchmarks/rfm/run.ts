/**
 * RFM benchmark: the RFM job over a large generated data set — seconds per phase and in
 * total, customers scored, peak RSS — beside the bare ClickHouse query that computes the same
 * table. See benchmarks/README.md.
 */
import { fileURLToPath } from 'node:url';
import { runBenchmark } from '../lib/main.js';
import { resultLine, runScript, trackChildren } from '../lib/child-process.js';
import { DATASET_END, ensureDataset } from '../lib/dataset.js';
import { runJobCommand } from '../lib/job-command.js';
import { loadAverage1m } from '../lib/machine.js';
import type { BareQueryResult } from './bare-query.js';
import { parseOptions, USAGE, type RfmBenchOptions } from './options.js';
import { buildReport, formatReport, type BareRun } from './report.js';
import { writeReport } from '../lib/report-file.js';

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const BARE_QUERY = fileURLToPath(new URL('./bare-query.ts', import.meta.url));
/** The last day of the generated period: every order counts. */
const AS_OF = DATASET_END.slice(0, 10);

const children = trackChildren();
const log = (message: string) => process.stdout.write(`${message}\n`);

async function bareQuery(dataDir: string, forgetRun?: string): Promise<BareRun> {
  const run = await runScript(
    BARE_QUERY,
    ['--data-dir', dataDir, '--as-of', AS_OF, ...(forgetRun ? ['--forget-run', forgetRun] : [])],
    { label: 'the bare RFM query', onSpawn: children.track },
  );
  return { ...resultLine<BareQueryResult>(run.stdout, 'bareQuery'), processSeconds: run.seconds };
}

async function run(options: RfmBenchOptions): Promise<void> {
  const loadAtStart = loadAverage1m();
  log(`RFM benchmark: ${options.customers} people (seed ${options.seed}), as of ${AS_OF}`);
  const dataset = await ensureDataset(
    { customers: options.customers, seed: options.seed },
    { log, onSpawn: children.track },
  );
  log(
    `  data set: ${dataset.marker.rows} events of ${dataset.marker.customers} people ` +
      `(${dataset.marker.identifiedCustomers} identified)`,
  );
  // Bare query, job, bare query: the job is compared with the faster bare run, so neither
  // side gains from the other having warmed the page cache.
  log('  bare query (1/2)…');
  const before = await bareQuery(dataset.dir);
  log(`  bare query took ${before.seconds.toFixed(2)} s; rapport jobs run rfm --as-of ${AS_OF}…`);
  const job = await runJobCommand(dataset.dir, 'rfm', ['--as-of', AS_OF], children.track);
  if (job.status !== 'succeeded') throw new Error(`the RFM run ended ${job.status}`);
  log(`  the job took ${job.totalSeconds.toFixed(2)} s; bare query (2/2)…`);
  // Also removes the run's scores and record: the data set stays as it was built.
  const after = await bareQuery(dataset.dir, job.runId);

  const report = buildReport({
    options,
    loadAtStart,
    dataset,
    asOf: AS_OF,
    job,
    bare: [before, after],
  });
  log(`\n${formatReport(report)}\n`);
  await writeReport(RESULTS, report);
  log('results written to benchmarks/rfm/results/latest.json');
}

await runBenchmark({
  name: 'RFM benchmark',
  usage: USAGE,
  parse: () => parseOptions(process.argv.slice(2)),
  run,
  interrupted: children.interrupted,
});
