/**
 * CLV benchmark: the clv job as a user runs it (`rapport jobs run clv`, a process of its own)
 * — seconds per phase (summary, fit, scoring, holdout) and in total, customers scored, peak
 * RSS, and the fit it found — over the generated data set of benchmarks/lib/dataset.ts (the
 * run's rows are removed afterwards), or with --synthetic N over a store of N customers'
 * purchases drawn from known BG/NBD and Gamma-Gamma parameters (synthetic-build.ts), built in
 * a temporary directory and removed, or with --year-arrivals N the same over N BG/NBD buyers
 * whose first orders fall uniformly through the year before the as-of date. With known
 * parameters it also reports how far the fit is from them. See benchmarks/README.md.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resultLine, runScript, trackChildren } from '../lib/child-process.js';
import { DATASET_END, ensureDataset } from '../lib/dataset.js';
import { runJobCommand } from '../lib/job-command.js';
import { checkoutOf, loadAverage1m, machineOf, round } from '../lib/machine.js';
import { runBenchmark } from '../lib/main.js';
import { DATASET_OPTIONS, parseIntegerOptions, usageOf } from '../lib/options.js';
import { SYNTHETIC_TRUTH, YEAR_ARRIVALS_TRUTH } from './synthetic-truth.js';

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const FORGET = fileURLToPath(new URL('./forget-run.ts', import.meta.url));
const SYNTHETIC = fileURLToPath(new URL('./synthetic-build.ts', import.meta.url));
/** The last day of the generated period: every order counts. */
const AS_OF = DATASET_END.slice(0, 10);

const SPEC = {
  ...DATASET_OPTIONS,
  'sample-size': {
    env: 'BENCH_CLV_SAMPLE',
    fallback: 200_000,
    min: 100,
    help: 'customers the models are fitted on (the job parameter sampleSize)',
  },
  horizon: { env: 'BENCH_CLV_HORIZON', fallback: 52, min: 1, help: 'horizon in weeks' },
  synthetic: {
    env: 'BENCH_CLV_SYNTHETIC',
    fallback: 0,
    min: 0,
    help: 'when > 0: this many customers of synthetic purchases instead of the data set',
  },
  'year-arrivals': {
    env: 'BENCH_CLV_YEAR_ARRIVALS',
    fallback: 0,
    min: 0,
    help: 'when > 0: this many BG/NBD buyers first buying uniformly through the last year',
  },
} as const;
const USAGE = usageOf('npm run bench:clv', SPEC);

const children = trackChildren();
const log = (message: string) => process.stdout.write(`${message}\n`);

interface ClvBenchOptions {
  customers: number;
  seed: number;
  sampleSize: number;
  horizon: number;
  synthetic: number;
  yearArrivals: number;
}

function jobArgs(options: ClvBenchOptions): string[] {
  return [
    ...['--as-of', AS_OF],
    ...['--param', 'timeUnit=week'],
    ...['--param', `horizon=${options.horizon}`],
    ...['--param', `sampleSize=${options.sampleSize}`],
  ];
}

/** The clv job on the generated data set; its rows are removed afterwards. */
async function onDataset(options: ClvBenchOptions) {
  const dataset = await ensureDataset(
    { customers: options.customers, seed: options.seed },
    { log, onSpawn: children.track },
  );
  log(`  data set: ${dataset.marker.rows} events; rapport jobs run clv…`);
  const job = await runJobCommand(dataset.dir, 'clv', jobArgs(options), children.track);
  if (job.status !== 'succeeded') throw new Error(`the clv run ended ${job.status}`);
  await runScript(FORGET, ['--data-dir', dataset.dir, '--run', job.runId], {
    label: 'removing the run',
    onSpawn: children.track,
  });
  const data = {
    kind: 'generated data set',
    people: dataset.marker.customers,
    seed: dataset.marker.seed,
    events: dataset.marker.rows,
    identifiedCustomers: dataset.marker.identifiedCustomers,
  };
  return { job, data };
}

type Arrivals = 'spread' | 'year';

/** The clv job on synthetic purchases in a temporary store. */
async function onSynthetic(options: ClvBenchOptions, arrivals: Arrivals) {
  const customers = arrivals === 'year' ? options.yearArrivals : options.synthetic;
  const dir = await mkdtemp(join(tmpdir(), 'rapport-clv-bench-'));
  try {
    log(`  building ${customers} customers of synthetic purchases (${arrivals}) in ${dir}…`);
    const build = await runScript(
      SYNTHETIC,
      [
        ...['--data-dir', dir, '--customers', String(customers)],
        ...['--seed', String(options.seed), '--arrivals', arrivals],
      ],
      { stderr: 'inherit', label: 'the synthetic build', onSpawn: children.track },
    );
    const built = resultLine<{ customers: number; orders: number; seconds: number }>(
      build.stdout,
      'synthetic',
    );
    log(`  ${built.orders} orders in ${built.seconds.toFixed(1)} s; rapport jobs run clv…`);
    const job = await runJobCommand(dir, 'clv', jobArgs(options), children.track);
    if (job.status !== 'succeeded') {
      throw new Error(`the clv run ended ${job.status}: ${JSON.stringify(job.summary)}`);
    }
    const data = {
      kind:
        arrivals === 'year'
          ? 'BG/NBD buyers arriving uniformly through the year'
          : 'synthetic purchases',
      customers: built.customers,
      seed: options.seed,
      events: built.orders,
      buildSeconds: round(built.seconds, 1),
      truth: arrivals === 'year' ? YEAR_ARRIVALS_TRUTH : SYNTHETIC_TRUTH,
    };
    return { job, data };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type BgNbdParams = Record<'r' | 'alpha' | 'a' | 'b', number>;

/**
 * How far fitted BG/NBD parameters are from the generating ones: each one's relative error,
 * the largest of them, and the Euclidean distance of the log-parameters (the scale the fit
 * works on).
 */
function recovery(fitted: BgNbdParams, truth: BgNbdParams) {
  const keys = ['r', 'alpha', 'a', 'b'] as const;
  const relativeError = Object.fromEntries(
    keys.map((key) => [key, round(fitted[key] / truth[key] - 1, 4)]),
  );
  const logDistance = Math.sqrt(
    keys.reduce((sum, key) => sum + Math.log(fitted[key] / truth[key]) ** 2, 0),
  );
  return {
    fitted: Object.fromEntries(keys.map((key) => [key, round(fitted[key], 4)])),
    truth,
    relativeError,
    maxRelativeError: Math.max(...keys.map((key) => Math.abs(relativeError[key] ?? NaN))),
    logDistance: round(logDistance, 4),
  };
}

async function run(options: ClvBenchOptions) {
  const loadAtStart = loadAverage1m();
  log(
    options.yearArrivals > 0
      ? `CLV benchmark: ${options.yearArrivals} customers arriving through the year, as of ${AS_OF}`
      : options.synthetic > 0
        ? `CLV benchmark: ${options.synthetic} synthetic customers, as of ${AS_OF}`
        : `CLV benchmark: ${options.customers} people (seed ${options.seed}), as of ${AS_OF}`,
  );
  const { job, data } =
    options.yearArrivals > 0
      ? await onSynthetic(options, 'year')
      : options.synthetic > 0
        ? await onSynthetic(options, 'spread')
        : await onDataset(options);
  const summary = job.summary;
  const fitted = (summary.bgNbd as { params?: BgNbdParams } | undefined)?.params;
  const truth = 'truth' in data ? data.truth.bgNbd : undefined;
  const recovered = fitted && truth ? recovery(fitted, truth) : undefined;
  const report = {
    benchmark: 'clv',
    ranAt: new Date().toISOString(),
    checkout: checkoutOf(),
    machine: machineOf(loadAtStart),
    data,
    params: {
      asOf: AS_OF,
      timeUnit: 'week',
      horizon: options.horizon,
      sampleSize: options.sampleSize,
    },
    customersScored: job.rows,
    phases: Object.fromEntries(job.phases.map((phase) => [phase.name, round(phase.seconds, 2)])),
    totalSeconds: round(job.totalSeconds, 2),
    processSeconds: round(job.processSeconds, 2),
    peakRssMiB: job.peakRssBytes === undefined ? null : round(job.peakRssBytes / 2 ** 20, 1),
    cpuSeconds: job.cpuSeconds === undefined ? null : round(job.cpuSeconds, 1),
    fit: {
      sample: summary.sample,
      bgNbd: summary.bgNbd,
      gammaGamma: summary.gammaGamma,
      totals: summary.totals,
      holdout: summary.holdout,
      unscored: summary.unscored,
    },
    ...(recovered ? { recovery: recovered } : {}),
  };
  log(`\n${JSON.stringify(report, null, 2)}\n`);
  if (recovered) {
    log(
      `fitted ${JSON.stringify(recovered.fitted)} against ${JSON.stringify(recovered.truth)}: ` +
        `largest relative error ${(recovered.maxRelativeError * 100).toFixed(1)} %, ` +
        `log-parameter distance ${recovered.logDistance}; run ${report.totalSeconds} s`,
    );
  }
  await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  log('results written to benchmarks/clv/results/latest.json');
}

await runBenchmark({
  name: 'CLV benchmark',
  usage: USAGE,
  parse: () => {
    const values = parseIntegerOptions(SPEC, process.argv.slice(2), process.env);
    return (
      values && {
        customers: values.customers,
        seed: values.seed,
        sampleSize: values['sample-size'],
        horizon: values.horizon,
        synthetic: values.synthetic,
        yearArrivals: values['year-arrivals'],
      }
    );
  },
  run,
  interrupted: children.interrupted,
});
