/**
 * Ingest benchmark: sustained events/s through HTTP batches into the engine's embedded
 * store, against the store's raw insert rate for the same rows. See benchmarks/README.md.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBenchmark } from '../lib/main.js';
import { measureEndToEnd, type EndToEndResult } from './end-to-end.js';
import { benchmarkEvents, toRequestBodies } from './event-mix.js';
import { parseOptions, USAGE, type IngestBenchOptions } from './options.js';
import { measureRawInsert } from './raw-insert-process.js';
import { buildReport, formatReport, type RawRounds } from './report.js';
import { writeReport } from '../lib/report-file.js';

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));

const children = new Set<ChildProcess>();
const track = (child: ChildProcess) => {
  children.add(child);
  child.once('exit', () => children.delete(child));
};
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // Let the children stop, then unwind through the clean-up below.
    interrupted = true;
    for (const child of children) child.kill('SIGTERM');
  });
}

const log = (message: string) => process.stdout.write(`${message}\n`);

async function run(options: IngestBenchOptions): Promise<void> {
  const loadAtStart = loadavg()[0] ?? 0;
  const work = await mkdtemp(join(tmpdir(), 'rapport-bench-ingest-'));
  try {
    log(
      `ingest benchmark: ${options.events} events in batches of ${options.batchSize}, ` +
        `concurrency ${options.concurrency}, seed ${options.seed}`,
    );
    const events = benchmarkEvents({
      events: options.events,
      warmupEvents: options.warmupBatches * options.batchSize,
      seed: options.seed,
    });
    const warmup = toRequestBodies(events.warmup, options.batchSize);
    const timed = toRequestBodies(events.timed, options.batchSize);
    const megabytes = timed.reduce((sum, body) => sum + body.body.length, 0) / 1024 ** 2;
    log(`  ${timed.length} request bodies ready (${megabytes.toFixed(1)} MiB of JSON)`);

    const e2eRounds: EndToEndResult[] = [];
    const rawRounds: RawRounds = { schema: [], plain: [], atEngineBatch: [] };
    for (let round = 1; round <= options.rounds; round++) {
      const label = options.rounds > 1 ? `  round ${round}/${options.rounds}, ` : '  ';
      log(`${label}end-to-end: the engine on a fresh data directory…`);
      const roundDir = join(work, `round-${round}`);
      const e2e = await measureEndToEnd({
        dataDir: join(roundDir, 'engine'),
        warmup,
        timed,
        concurrency: options.concurrency,
        onSpawn: track,
      });
      log(`${label}raw: the same rows straight into a fresh store…`);
      const raw = await measureRawInsert(options, join(roundDir, 'raw'), track);
      const plain = await measureRawInsert(options, join(roundDir, 'plain'), track, {
        table: 'events_plain',
      });
      // What the store alone does with inserts as large as the engine's writer made.
      const { writes, rows } = e2e.storeWrites;
      const engineBatch = Math.max(1, Math.round(rows / Math.max(1, writes)));
      const atEngineBatch = await measureRawInsert(options, join(roundDir, 'batch'), track, {
        batchRows: engineBatch,
      });
      await rm(roundDir, { recursive: true, force: true });
      log(
        `${label}${Math.round(e2e.eventsPerSecond)} events/s end-to-end, ` +
          `${Math.round(raw.rowsPerSecond)} rows/s raw, ${Math.round(plain.rowsPerSecond)} plain, ` +
          `${Math.round(atEngineBatch.rowsPerSecond)} raw in inserts of ${engineBatch}`,
      );
      e2eRounds.push(e2e);
      rawRounds.schema.push(raw);
      rawRounds.plain.push(plain);
      rawRounds.atEngineBatch.push(atEngineBatch);
    }

    const report = buildReport(options, e2eRounds, rawRounds, loadAtStart);
    log(`\n${formatReport(report)}\n`);
    await writeReport(RESULTS, report);
    log(`results written to benchmarks/ingest/results/latest.json`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await runBenchmark({
  name: 'ingest benchmark',
  usage: USAGE,
  parse: () => parseOptions(process.argv.slice(2)),
  run,
  interrupted: () => interrupted,
});
