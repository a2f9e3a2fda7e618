import { relative } from 'node:path';
import { REPO_ROOT } from '../lib/child-process.js';
import type { DatasetMarker } from '../lib/dataset.js';
import { inheritedEngineSettings } from '../lib/engine-process.js';
import type { JobCommandResult } from '../lib/job-command.js';
import { checkoutOf, machineOf, migrationFiles, round } from '../lib/machine.js';
import { toMiB } from '../lib/stats.js';
import type { BareQueryResult } from './bare-query.js';
import type { RfmBenchOptions } from './options.js';

export interface BareRun extends BareQueryResult {
  /** Wall time of the whole process: start-up, opening the store, the query. */
  processSeconds: number;
}

export type RfmBenchReport = ReturnType<typeof buildReport>;

export function buildReport(input: {
  options: RfmBenchOptions;
  loadAtStart: number;
  dataset: { dir: string; marker: DatasetMarker; built: boolean };
  asOf: string;
  job: JobCommandResult;
  bare: readonly BareRun[];
}) {
  const { job, dataset } = input;
  const fastest = [...input.bare].sort((a, b) => a.seconds - b.seconds)[0]!;
  const score = job.phases.find((phase) => phase.name === 'score')?.seconds;
  return {
    benchmark: 'rfm',
    measuredAt: new Date().toISOString(),
    checkout: checkoutOf(),
    migrations: migrationFiles(),
    machine: machineOf(input.loadAtStart),
    options: { ...input.options, asOf: input.asOf },
    engineSettings: inheritedEngineSettings(),
    dataset: {
      dir: relative(REPO_ROOT, dataset.dir),
      people: dataset.marker.customers,
      identifiedCustomers: dataset.marker.identifiedCustomers,
      events: dataset.marker.rows,
      diskMiB: dataset.marker.diskMiB,
      builtByThisRun: dataset.built,
      loadSeconds: dataset.marker.seconds,
    },
    job: {
      status: job.status,
      customersScored: job.rows,
      phases: job.phases,
      /** The run from its start to its end, as it records them. */
      totalSeconds: job.totalSeconds,
      /** The whole `rapport jobs run` process, engine start-up included. */
      processSeconds: round(job.processSeconds, 2),
      peakRssMiB: toMiB(job.peakRssBytes),
      cpuSeconds: job.cpuSeconds === undefined ? undefined : round(job.cpuSeconds, 1),
      summary: job.summary,
    },
    bareQuery: {
      /** Each run: before the job, and after it. */
      runs: input.bare.map((run) => ({
        seconds: round(run.seconds, 3),
        rows: run.rows,
        openSeconds: round(run.openSeconds, 2),
        processSeconds: round(run.processSeconds, 2),
        peakRssMiB: toMiB(run.peakRssBytes),
      })),
      /** The faster run, which the job is compared with. */
      seconds: round(fastest.seconds, 3),
      rows: fastest.rows,
    },
    /** The job's total over the bare query's time, less one: what the job adds. */
    overhead: round(job.totalSeconds / fastest.seconds - 1, 3),
    /** The job's score phase (the INSERT … SELECT) over the bare query's time, less one. */
    scoreOverhead: score === undefined ? undefined : round(score / fastest.seconds - 1, 3),
    sameRows: input.bare.every((run) => run.rows === job.rows),
  };
}

const count = (value: number) => Math.round(value).toLocaleString('en-US');
const mib = (value: number | undefined) => (value === undefined ? 'n/a' : `${value} MiB`);
const percent = (value: number | undefined) =>
  value === undefined ? 'n/a' : `${value >= 0 ? '+' : ''}${round(value * 100, 1)} %`;

/** The report as an aligned two-column table. */
export function formatReport(report: RfmBenchReport): string {
  const { dataset, job, bareQuery } = report;
  const rows: [string, string][] = [
    [
      'data set',
      `${count(dataset.people)} people, ${count(dataset.identifiedCustomers)} identified, ${count(dataset.events)} events`,
    ],
    ['customers scored', `${count(job.customersScored)} (as of ${report.options.asOf})`],
    ...job.phases.map((phase): [string, string] => [
      `job phase ${phase.name}`,
      `${phase.seconds.toFixed(2)} s`,
    ]),
    ['job total (run)', `${job.totalSeconds.toFixed(2)} s`],
    ['job process (wall)', `${job.processSeconds} s, peak RSS ${mib(job.peakRssMiB)}`],
    [
      'bare query',
      `${bareQuery.seconds.toFixed(2)} s for ${count(bareQuery.rows)} rows ` +
        `(runs: ${bareQuery.runs.map((run) => `${run.seconds.toFixed(2)} s`).join(', ')}), ` +
        `peak RSS ${mib(Math.max(...bareQuery.runs.map((run) => run.peakRssMiB ?? 0)))}`,
    ],
    [
      'job over bare query',
      `${percent(report.overhead)} (score phase ${percent(report.scoreOverhead)})`,
    ],
    ['same customers', report.sameRows ? 'yes' : 'NO: the job and the query disagree'],
    [
      'machine',
      `${report.machine.cpus} × ${report.machine.cpu}, load ${report.machine.loadAverage1m.start} at start, ${report.machine.loadAverage1m.end} at end`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}
