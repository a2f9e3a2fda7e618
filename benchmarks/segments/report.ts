import { relative } from 'node:path';
import { REPO_ROOT } from '../lib/child-process.js';
import type { DatasetMarker } from '../lib/dataset.js';
import { inheritedEngineSettings } from '../lib/engine-process.js';
import type { JobCommandResult } from '../lib/job-command.js';
import { checkoutOf, machineOf, migrationFiles, round } from '../lib/machine.js';
import { toMiB } from '../lib/stats.js';

export type SegmentsBenchReport = ReturnType<typeof buildReport>;

interface SegmentFigures {
  members: number;
  entered: number;
  exited: number;
  seconds: number;
}

function runFigures(run: JobCommandResult) {
  const segments = (run.summary.segments ?? {}) as Record<string, SegmentFigures>;
  return {
    runId: run.runId,
    phases: run.phases,
    totalSeconds: run.totalSeconds,
    processSeconds: round(run.processSeconds, 2),
    peakRssMiB: toMiB(run.peakRssBytes),
    cpuSeconds: run.cpuSeconds === undefined ? undefined : round(run.cpuSeconds, 1),
    profiles: Number(run.summary.profiles ?? 0),
    changes: run.rows,
    segments: Object.fromEntries(
      Object.entries(segments).map(([id, figures]) => [
        id,
        { ...figures, seconds: round(figures.seconds, 3) },
      ]),
    ),
    skipped: run.summary.skipped,
  };
}

export function buildReport(input: {
  options: { customers: number; seed: number };
  loadAtStart: number;
  dataset: { dir: string; marker: DatasetMarker; built: boolean };
  prerequisites: { rfm: JobCommandResult; clv: JobCommandResult };
  segments: readonly JobCommandResult[];
  clusters: JobCommandResult;
}) {
  const { dataset, clusters } = input;
  return {
    benchmark: 'segments',
    measuredAt: new Date().toISOString(),
    checkout: checkoutOf(),
    migrations: migrationFiles(),
    machine: machineOf(input.loadAtStart),
    options: input.options,
    engineSettings: inheritedEngineSettings(),
    dataset: {
      dir: relative(REPO_ROOT, dataset.dir),
      people: dataset.marker.customers,
      identifiedCustomers: dataset.marker.identifiedCustomers,
      events: dataset.marker.rows,
      builtByThisRun: dataset.built,
    },
    prerequisites: {
      rfmSeconds: input.prerequisites.rfm.totalSeconds,
      clvSeconds: input.prerequisites.clv.totalSeconds,
    },
    /** First run: every member enters; second: the same data, nothing changes. */
    segmentRuns: input.segments.map(runFigures),
    clusters: {
      runId: clusters.runId,
      phases: clusters.phases,
      totalSeconds: clusters.totalSeconds,
      processSeconds: round(clusters.processSeconds, 2),
      peakRssMiB: toMiB(clusters.peakRssBytes),
      summary: clusters.summary,
    },
  };
}

const count = (value: number) => Math.round(value).toLocaleString('en-US');
const seconds = (value: number) => `${value.toFixed(2)} s`;

/** The report as an aligned two-column table, then the segments one per line. */
export function formatReport(report: SegmentsBenchReport): string {
  const { dataset, clusters } = report;
  const rows: [string, string][] = [
    [
      'data set',
      `${count(dataset.people)} people, ${count(dataset.identifiedCustomers)} identified, ${count(dataset.events)} events`,
    ],
  ];
  report.segmentRuns.forEach((run, index) => {
    const label = index === 0 ? 'segments run 1' : `segments run ${index + 1}`;
    rows.push([
      label,
      `${seconds(run.totalSeconds)} for ${Object.keys(run.segments).length} segments over ` +
        `${count(run.profiles)} profiles, ${count(run.changes)} changes; ` +
        run.phases.map((phase) => `${phase.name} ${seconds(phase.seconds)}`).join(', ') +
        `; peak RSS ${run.peakRssMiB ?? 'n/a'} MiB`,
    ]);
  });
  const summary = clusters.summary as {
    k?: number;
    kChosenBy?: string;
    inertia?: number;
    clusters?: { id: number; size: number }[];
    warnings?: string[];
  };
  rows.push([
    'clusters run',
    `${seconds(clusters.totalSeconds)}; k = ${summary.k ?? '?'} (${summary.kChosenBy ?? '?'}), ` +
      `inertia ${summary.inertia === undefined ? '?' : round(summary.inertia, 1)}; ` +
      clusters.phases.map((phase) => `${phase.name} ${seconds(phase.seconds)}`).join(', ') +
      `; peak RSS ${clusters.peakRssMiB ?? 'n/a'} MiB`,
  ]);
  rows.push([
    'cluster sizes',
    (summary.clusters ?? []).map((cluster) => `${cluster.id}: ${count(cluster.size)}`).join(', ') +
      (summary.warnings?.length ? `; warnings: ${summary.warnings.join('; ')}` : ''),
  ]);
  rows.push([
    'machine',
    `${report.machine.cpus} × ${report.machine.cpu}, load ${report.machine.loadAverage1m.start} at start, ${report.machine.loadAverage1m.end} at end`,
  ]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const table = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  const first = report.segmentRuns[0];
  const perSegment = first
    ? Object.entries(first.segments).map(
        ([id, figures]) =>
          `    ${id.padEnd(22)} ${count(figures.members).padStart(9)} members  ${seconds(figures.seconds)}`,
      )
    : [];
  return [...table, '  segments (run 1):', ...perSegment].join('\n');
}
