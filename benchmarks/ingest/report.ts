import { checkoutOf, machineOf, migrationFiles, round } from '../lib/machine.js';
import { toMiB } from '../lib/stats.js';
import type { EndToEndResult } from './end-to-end.js';
import { inheritedEngineSettings } from '../lib/engine-process.js';
import type { IngestBenchOptions } from './options.js';
import type { RawInsertResult } from './raw-insert-process.js';

/** The end-to-end rate the issue asks for, as a share of the raw insert rate. */
export const TARGET_RATIO = 0.6;
/** …and as a share of a plain MergeTree insert of the same rows. */
export const TARGET_RATIO_TO_PLAIN = 0.4;

/** Each round's raw measurements: into the schema, into a plain table, and in engine-sized inserts. */
export interface RawRounds {
  schema: RawInsertResult[];
  plain: RawInsertResult[];
  atEngineBatch: RawInsertResult[];
}

export type IngestBenchReport = ReturnType<typeof buildReport>;

/** CPU microseconds per event; undefined when the CPU time is unknown. */
const microsecondsPer = (cpuSeconds: number | undefined, count: number) =>
  cpuSeconds === undefined ? undefined : round((cpuSeconds * 1e6) / count, 1);

/** A part over its whole, rounded to 0.001; undefined when either is unknown. */
const share = (part: number | undefined, whole: number | undefined) =>
  part === undefined || whole === undefined || whole === 0 ? undefined : round(part / whole, 3);

/** One raw measurement's figures, rounded for the results file. */
function rawFigures(raw: RawInsertResult) {
  return {
    rows: raw.rows,
    inserts: raw.inserts,
    batchRows: raw.batchRows,
    seconds: round(raw.seconds, 3),
    rowsPerSecond: round(raw.rowsPerSecond),
    peakRssMiB: toMiB(raw.peakRssBytes),
    cpuSeconds: round(raw.cpuSeconds, 2),
    cpuMicrosecondsPerRow: microsecondsPer(raw.cpuSeconds, raw.rows),
    kernelCpuShare: share(raw.kernelCpuSeconds, raw.cpuSeconds),
  };
}

/**
 * What this machine's CPU allows an event at each target rate, against the least an event
 * costs. The engine and the load generator share the machine's cores, so a rate of R events a
 * second needs each event to cost at most cores / R seconds of CPU, every process together.
 * The least an event costs: its row's insert into the schema (the raw insert, in inserts of
 * --raw-batch-rows, larger by default than the requests in flight let the engine make), the
 * ingest steps before it (body parsed, event validated and normalised, row encoded) and its
 * request in the load generator; nothing of the engine's own (HTTP, the duplicate look-up,
 * the journal, the profile rows, merges). When that exceeds what the target allows, no engine
 * reaches the target on this machine.
 */
function cpuBudget(
  cores: number,
  e2e: EndToEndResult,
  raw: RawInsertResult,
  plain: RawInsertResult,
) {
  const micros = (seconds: number, count: number) => (seconds * 1e6) / count;
  const allowed = (cores * 1e6) / (TARGET_RATIO * raw.rowsPerSecond);
  const allowedToPlain = (cores * 1e6) / (TARGET_RATIO_TO_PLAIN * plain.rowsPerSecond);
  const steps = micros(raw.ingestStepsCpuSeconds, raw.rows);
  const loadGenerator = micros(e2e.loadGeneratorCpuSeconds, e2e.events);
  const least = micros(raw.cpuSeconds, raw.rows) + steps + loadGenerator;
  return {
    cores,
    allowedMicrosAtTarget: round(allowed, 1),
    allowedMicrosAtTargetToPlain: round(allowedToPlain, 1),
    ingestStepsMicros: round(steps, 1),
    loadGeneratorMicros: round(loadGenerator, 1),
    leastMicros: round(least, 1),
    /** The same with the row inserted into the plain table: as if the views cost nothing. */
    leastMicrosWithoutViews: round(micros(plain.cpuSeconds, plain.rows) + steps + loadGenerator, 1),
    targetWithinCpu: least <= allowed,
    targetToPlainWithinCpu: least <= allowedToPlain,
  };
}

/** The middle one by `rate` (the lower middle of an even count). */
function median<T>(rounds: readonly T[], rate: (round: T) => number): T {
  const sorted = [...rounds].sort((a, b) => rate(a) - rate(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The report of one run: the median round of each half, and every round's rates. */
export function buildReport(
  options: IngestBenchOptions,
  e2eRounds: readonly EndToEndResult[],
  rawRounds: RawRounds,
  /** The 1-minute load average when the run started: other work skews the figures. */
  loadAtStart: number,
) {
  const e2e = median(e2eRounds, (result) => result.eventsPerSecond);
  const raw = median(rawRounds.schema, (result) => result.rowsPerSecond);
  const plain = median(rawRounds.plain, (result) => result.rowsPerSecond);
  const atEngineBatch = median(rawRounds.atEngineBatch, (result) => result.rowsPerSecond);
  const ratio = e2e.eventsPerSecond / raw.rowsPerSecond;
  const ratioToPlain = e2e.eventsPerSecond / plain.rowsPerSecond;
  const { writes, rows, seconds } = e2e.storeWrites;
  const machine = machineOf(loadAtStart);
  return {
    benchmark: 'ingest',
    measuredAt: new Date().toISOString(),
    checkout: checkoutOf(),
    /** The schema both stores were migrated to: every insert also feeds its views. */
    migrations: migrationFiles(),
    machine,
    options,
    /** RAPPORT_* settings the engine took from the environment, beyond the defaults. */
    engineSettings: inheritedEngineSettings(),
    endToEnd: {
      events: e2e.events,
      requests: e2e.requests,
      seconds: round(e2e.seconds, 3),
      eventsPerSecond: round(e2e.eventsPerSecond),
      latencyMs: {
        p50: round(e2e.latencyMs.p50, 1),
        p99: round(e2e.latencyMs.p99, 1),
        max: round(e2e.latencyMs.max, 1),
      },
      enginePeakRssMiB: toMiB(e2e.enginePeakRssBytes),
      engineCpuSeconds:
        e2e.engineCpuSeconds === undefined ? undefined : round(e2e.engineCpuSeconds, 2),
      engineCpuMicrosecondsPerEvent: microsecondsPer(e2e.engineCpuSeconds, e2e.events),
      engineKernelCpuShare: share(e2e.engineKernelCpuSeconds, e2e.engineCpuSeconds),
      storeWrites: {
        writes,
        meanRows: writes === 0 ? 0 : round(rows / writes),
        seconds: round(seconds, 3),
        /** Share of the timed run during which the engine was writing to the store. */
        busyShare: round(seconds / e2e.seconds, 3),
      },
    },
    /** Into `events` with its projection and views, in inserts of --raw-batch-rows. */
    raw: rawFigures(raw),
    /** Into a plain MergeTree of the same columns and order, in inserts of --raw-batch-rows. */
    plain: rawFigures(plain),
    /**
     * Into `events` in inserts as large as the engine's writer made (its mean): what the
     * store alone does with them, a bound on the end-to-end rate at this concurrency.
     */
    atEngineBatch: rawFigures(atEngineBatch),
    rounds: e2eRounds.map((e2eRound, index) => ({
      eventsPerSecond: round(e2eRound.eventsPerSecond),
      rawRowsPerSecond: round(rawRounds.schema[index]!.rowsPerSecond),
      plainRowsPerSecond: round(rawRounds.plain[index]!.rowsPerSecond),
      atEngineBatchRowsPerSecond: round(rawRounds.atEngineBatch[index]!.rowsPerSecond),
    })),
    ratio: round(ratio, 3),
    target: TARGET_RATIO,
    meetsTarget: ratio >= TARGET_RATIO,
    ratioToPlain: round(ratioToPlain, 3),
    targetToPlain: TARGET_RATIO_TO_PLAIN,
    meetsTargetToPlain: ratioToPlain >= TARGET_RATIO_TO_PLAIN,
    ratioToAtEngineBatch: round(e2e.eventsPerSecond / atEngineBatch.rowsPerSecond, 3),
    cpuBudget: cpuBudget(machine.cpus, e2e, raw, plain),
  };
}

const count = (value: number) => Math.round(value).toLocaleString('en-US');
const mib = (value: number | undefined) => (value === undefined ? 'n/a' : `${value} MiB`);
const micros = (value: number | undefined) => (value === undefined ? 'n/a' : `${value} µs`);
const percent = (value: number | undefined) =>
  value === undefined ? 'n/a' : `${round(value * 100, 1)} %`;
const cores = (cpu: number | undefined, wall: number) =>
  cpu === undefined ? 'n/a' : (cpu / wall).toFixed(2);

/** The report as an aligned two-column table. */
export function formatReport(report: IngestBenchReport): string {
  const { options, endToEnd: e2e, raw, plain, atEngineBatch } = report;
  const verdict = (met: boolean) => (met ? 'met' : 'not met');
  const budget = report.cpuBudget;
  const reach = (within: boolean) => (within ? 'yes' : 'no, out of reach on this machine');
  const rows: [string, string][] = [
    ['events (timed)', count(e2e.events)],
    ['batch size / concurrency', `${options.batchSize} / ${options.concurrency}`],
    ['end-to-end (HTTP → store)', `${count(e2e.eventsPerSecond)} events/s  (${e2e.seconds} s)`],
    [
      'raw store insert',
      `${count(raw.rowsPerSecond)} rows/s  (${raw.seconds} s, ${raw.inserts} inserts of ≤ ${options.rawBatchRows} rows)`,
    ],
    [
      'plain MergeTree insert',
      `${count(plain.rowsPerSecond)} rows/s  (${plain.seconds} s, the same inserts into a table without projection or views)`,
    ],
    [
      'raw at the engine batch size',
      `${count(atEngineBatch.rowsPerSecond)} rows/s  (${atEngineBatch.inserts} inserts of ≤ ${count(atEngineBatch.batchRows)} rows)`,
    ],
    [
      'ratio end-to-end / raw',
      `${round(report.ratio * 100, 1)} %  (target ${report.target * 100} %: ${verdict(report.meetsTarget)})`,
    ],
    [
      'ratio end-to-end / plain',
      `${round(report.ratioToPlain * 100, 1)} %  (target ${report.targetToPlain * 100} %: ${verdict(report.meetsTargetToPlain)})`,
    ],
    [
      'ratio end-to-end / same-size raw',
      `${round(report.ratioToAtEngineBatch * 100, 1)} %  (the store alone, in inserts the size of the engine's)`,
    ],
    ['request latency p50 / p99', `${e2e.latencyMs.p50} ms / ${e2e.latencyMs.p99} ms`],
    [
      'CPU per event: engine / raw',
      `${micros(e2e.engineCpuMicrosecondsPerEvent)} / ${micros(raw.cpuMicrosecondsPerRow)}  (cores busy: ${cores(e2e.engineCpuSeconds, e2e.seconds)} / ${cores(raw.cpuSeconds, raw.seconds)})`,
    ],
    [
      'CPU in the kernel: engine / raw',
      `${percent(e2e.engineKernelCpuShare)} / ${percent(raw.kernelCpuShare)}`,
    ],
    [
      'CPU an event may cost',
      `${micros(budget.allowedMicrosAtTarget)} at ${report.target * 100} % of raw, ${micros(budget.allowedMicrosAtTargetToPlain)} at ${report.targetToPlain * 100} % of plain  (${budget.cores} cores, engine and load generator together)`,
    ],
    [
      'least CPU an event costs',
      `${micros(budget.leastMicros)}: its row inserted ${micros(raw.cpuMicrosecondsPerRow)}, ingest steps ${micros(budget.ingestStepsMicros)}, load generator ${micros(budget.loadGeneratorMicros)}  (${micros(budget.leastMicrosWithoutViews)} into the plain table)`,
    ],
    [
      'targets within the CPU',
      `raw: ${reach(budget.targetWithinCpu)}, plain: ${reach(budget.targetToPlainWithinCpu)}`,
    ],
    ['peak RSS engine', mib(e2e.enginePeakRssMiB)],
    ['peak RSS raw inserter', mib(raw.peakRssMiB)],
    [
      'engine store writes',
      `${e2e.storeWrites.writes} of ~${count(e2e.storeWrites.meanRows)} rows, ${e2e.storeWrites.seconds} s (${round(e2e.storeWrites.busyShare * 100)} % of the run)`,
    ],
    [
      'machine',
      `${report.machine.cpus} × ${report.machine.cpu}, load ${report.machine.loadAverage1m.start} at start`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}
