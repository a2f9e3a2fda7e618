import { relative } from 'node:path';
import { REPO_ROOT } from '../lib/child-process.js';
import type { DatasetMarker } from '../lib/dataset.js';
import { inheritedEngineSettings } from '../lib/engine-process.js';
import type { JobCommandResult } from '../lib/job-command.js';
import { checkoutOf, machineOf, migrationFiles, round } from '../lib/machine.js';
import { toMiB } from '../lib/stats.js';
import type { savedSegment } from './saved-segment.js';

export type SegmentsBenchReport = ReturnType<typeof buildReport>;

interface SegmentFigures {
  members: number;
  entered: number;
  exited: number;
  seconds: number;
}

/** How a run's features snapshot was taken: profiles computed, and the run copied from. */
function snapshotOf(run: JobCommandResult) {
  const snapshot = run.summary.snapshot as
    { computed: number; copiedFrom: string | null } | undefined;
  return snapshot ?? { computed: Number(run.summary.profiles ?? 0), copiedFrom: null };
}

function clustersFigures(clusters: JobCommandResult) {
  return {
    runId: clusters.runId,
    phases: clusters.phases,
    totalSeconds: clusters.totalSeconds,
    processSeconds: round(clusters.processSeconds, 2),
    peakRssMiB: toMiB(clusters.peakRssBytes),
    snapshot: snapshotOf(clusters),
    summary: clusters.summary,
  };
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
    snapshot: snapshotOf(run),
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
  /** A new segment saved on the engine: seconds to its members, and the run the save started. */
  saved: Awaited<ReturnType<typeof savedSegment>>;
  clusters: JobCommandResult;
  /** On a copy: a share of the profiles given a new event, then segments and clusters again. */
  changed: {
    share: number;
    profiles: number;
    segments: JobCommandResult;
    clusters: JobCommandResult;
  };
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
    savedSegment: input.saved,
    clusters: clustersFigures(clusters),
    changed: {
      share: input.changed.share,
      profiles: input.changed.profiles,
      segments: runFigures(input.changed.segments),
      clusters: clustersFigures(input.changed.clusters),
    },
  };
}

const count = (value: number) => Math.round(value).toLocaleString('en-US');
const computedOf = (snapshot: { computed: number; copiedFrom: string | null }) =>
  snapshot.copiedFrom === null
    ? 'features computed for all'
    : `features computed for ${count(snapshot.computed)}, the rest copied`;
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
  const segmentsRow = (label: string, run: (typeof report.segmentRuns)[number]) =>
    rows.push([
      label,
      `${seconds(run.totalSeconds)} for ${Object.keys(run.segments).length} segments over ` +
        `${count(run.profiles)} profiles (${computedOf(run.snapshot)}), ${count(run.changes)} changes; ` +
        run.phases.map((phase) => `${phase.name} ${seconds(phase.seconds)}`).join(', ') +
        `; peak RSS ${run.peakRssMiB ?? 'n/a'} MiB`,
    ]);
  report.segmentRuns.forEach((run, index) => segmentsRow(`segments run ${index + 1}`, run));
  const { savedSegment: saved } = report;
  rows.push([
    'a new segment saved',
    `members listed ${seconds(saved.secondsToMembers)} after the save (${count(saved.run.members)} members); ` +
      `the run it started ${seconds(saved.secondsToRunEnd)}: ` +
      saved.run.phases.map((phase) => `${phase.name} ${seconds(phase.seconds)}`).join(', '),
  ]);
  type ClustersSummary = {
    k?: number;
    kChosenBy?: string;
    inertia?: number;
    clusters?: { id: number; size: number }[];
    warnings?: string[];
  };
  const summary = clusters.summary as ClustersSummary;
  const clustersRow = (label: string, run: typeof clusters) => {
    const { k, kChosenBy, inertia } = run.summary as ClustersSummary;
    rows.push([
      label,
      `${seconds(run.totalSeconds)} (${computedOf(run.snapshot)}); k = ${k ?? '?'} (${kChosenBy ?? '?'}), ` +
        `inertia ${inertia === undefined ? '?' : round(inertia, 1)}; ` +
        run.phases.map((phase) => `${phase.name} ${seconds(phase.seconds)}`).join(', ') +
        `; peak RSS ${run.peakRssMiB ?? 'n/a'} MiB`,
    ]);
  };
  clustersRow('clusters run', clusters);
  rows.push([
    'cluster sizes',
    (summary.clusters ?? []).map((cluster) => `${cluster.id}: ${count(cluster.size)}`).join(', ') +
      (summary.warnings?.length ? `; warnings: ${summary.warnings.join('; ')}` : ''),
  ]);
  const { changed } = report;
  segmentsRow(`segments, ${round(changed.share * 100, 2)} % changed`, changed.segments);
  clustersRow('clusters after it', changed.clusters);
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
