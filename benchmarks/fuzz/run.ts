/**
 * Ingest fuzzing: POST /v1/events with fast-check bodies (valid events, events with one
 * hostile value, JSON that is no event) against an engine on a fresh embedded store. Counts
 * answers by status; any 5xx, a crash, or an event not answered for fails the run.
 * See benchmarks/README.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@rapport/config';
import { createEngine } from '@rapport/engine';
import { createLogger } from '@rapport/observability';
import type { IngestResponse } from '@rapport/schemas';
import { eventCountOf, ingestBody, toJsonBody } from '@rapport/testkit/arbitraries';
import fc from 'fast-check';
import { runBenchmark } from '../lib/main.js';
import { UsageError } from '../lib/options.js';
import { writeReport } from '../lib/report-file.js';

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const USAGE = `npm run bench:fuzz -- [--runs N] [--seed S]

  --runs N   request bodies to send (default 5000)
  --seed S   fast-check seed (default: random, printed)
`;

interface FuzzOptions {
  runs: number;
  seed: number;
}

function parse(): FuzzOptions | undefined {
  const args = process.argv.slice(2);
  if (args.includes('--help')) return undefined;
  const options: FuzzOptions = { runs: 5000, seed: Math.floor(Math.random() * 2 ** 31) };
  for (let index = 0; index < args.length; index += 2) {
    const [name, value] = [args[index], Number(args[index + 1])];
    if (!Number.isSafeInteger(value) || value < 0) throw new UsageError(`${name}: a whole number`);
    if (name === '--runs') options.runs = value;
    else if (name === '--seed') options.seed = value;
    else throw new UsageError(`unknown option ${name}`);
  }
  return options;
}

const log = (message: string) => process.stdout.write(`${message}\n`);

async function run(options: FuzzOptions): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rapport-bench-fuzz-'));
  const config = loadConfig({
    RAPPORT_DATA_DIR: dataDir,
    RAPPORT_LOG_LEVEL: 'silent',
    RAPPORT_SCHEDULE_SEGMENTS: 'off',
    RAPPORT_CURRENCY_RATES: 'EUR=1.1',
  });
  const engine = await createEngine({ config, logger: createLogger({ level: 'silent' }) });
  const statuses: Record<string, number> = {};
  const totals = {
    requests: 0,
    events: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    serverErrors: 0,
  };
  const started = performance.now();
  log(`ingest fuzzing: ${options.runs} bodies, seed ${options.seed}`);
  try {
    const result = await fc.check(
      fc.asyncProperty(ingestBody, async (body) => {
        const response = await engine.app.inject({
          method: 'POST',
          url: '/v1/events',
          headers: { 'content-type': 'application/json' },
          payload: toJsonBody(body),
        });
        totals.requests++;
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        if (response.statusCode >= 500) {
          totals.serverErrors++;
          return false;
        }
        const events = eventCountOf(body);
        if (events === undefined || ![200, 400].includes(response.statusCode)) return true;
        const answer = response.json<IngestResponse>();
        if (!('accepted' in answer)) return true;
        totals.events += events;
        totals.accepted += answer.accepted;
        totals.duplicates += answer.duplicates;
        totals.rejected += answer.rejected.length;
        return answer.accepted + answer.duplicates + answer.rejected.length === events;
      }),
      { seed: options.seed, numRuns: options.runs, endOnFailure: true },
    );
    const seconds = (performance.now() - started) / 1000;
    const ready = (await engine.app.inject({ method: 'GET', url: '/readyz' })).statusCode;
    const report = {
      date: new Date().toISOString(),
      seed: options.seed,
      runs: options.runs,
      passed: !result.failed,
      counterexample: result.failed ? toJsonBody(result.counterexample?.[0]).slice(0, 2000) : null,
      ...totals,
      statuses,
      readyAfter: ready,
      seconds: Number(seconds.toFixed(1)),
      requestsPerSecond: Math.round(totals.requests / seconds),
    };
    await writeReport(RESULTS, report);
    log(
      `${totals.requests} requests in ${report.seconds} s (${report.requestsPerSecond}/s): ` +
        `${totals.events} events, ${totals.accepted} accepted, ${totals.duplicates} duplicates, ` +
        `${totals.rejected} rejected; statuses ${JSON.stringify(statuses)}; ` +
        `5xx ${totals.serverErrors}; /readyz ${ready} after`,
    );
    if (result.failed) {
      throw new Error(`property failed; counterexample: ${report.counterexample ?? ''}`);
    }
  } finally {
    await engine.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await runBenchmark({ name: 'fuzz', usage: USAGE, parse, run, interrupted: () => false });
