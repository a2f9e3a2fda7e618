// The console on a large store: how long each page takes to show its figures in a real browser.
// Usage: npx tsx benchmarks/console/run.ts <data dir>
// The data dir is a copy of a generated data set (benchmarks/.data/…): the engine migrates it
// and this run adds job runs and a segment to it. Runs the rfm, clv, clusters and segments jobs
// first (a page with no run shows none), then opens every page in Debian's Chromium twice (the
// first visit and the next) and prints one JSON line: seconds from navigation to the page's
// figures showing, and any page that failed or logged an error.
import { chromium, type Page } from 'playwright-core';
import { startEngine } from '../lib/engine-process.js';

const [dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: run.ts <data dir>');

const engine = await startEngine({
  dataDir: dir,
  startTimeoutMs: 30 * 60_000,
  env: { RAPPORT_SCHEDULE_SEGMENTS: 'off' },
});
const api = async <T>(path: string, body?: unknown): Promise<T> => {
  const response = await fetch(`${engine.origin}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};

async function runJob(name: string): Promise<number> {
  const started = performance.now();
  const { runId } = await api<{ runId: string }>(`/v1/jobs/${name}/runs`, {});
  for (;;) {
    const run = await api<{ status: string; error?: string }>(`/v1/jobs/runs/${runId}`);
    if (run.status === 'succeeded') return (performance.now() - started) / 1000;
    if (run.status === 'failed') throw new Error(`${name} failed: ${run.error}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const SEGMENT = 'repeat-buyers-bench';
await api('/v1/segments', {
  id: SEGMENT,
  name: 'Repeat buyers',
  rule: { type: 'field', field: 'orders', op: 'gte', value: 2 },
}).catch((error: unknown) => {
  // Saved by an earlier run on this copy.
  if (!String(error).includes('409')) throw error;
});
const jobs: Record<string, number> = {};
for (const job of ['rfm', 'clv', 'clusters', 'segments']) jobs[job] = await runJob(job);
const members = await api<{ members: { customerId: string | null }[] }>(
  `/v1/segments/${SEGMENT}/members?limit=1`,
);
const customer = members.members.find((member) => member.customerId !== null)?.customerId;
if (!customer) throw new Error('the segment has no identified member');

const PAGES: [string, string][] = [
  ['#/overview', '[data-testid=orders]'],
  ['#/lifecycle', '[data-testid=stage-visitor]'],
  ['#/channels', '[data-testid=channels]'],
  ['#/campaigns', '[data-testid=total-sent]'],
  ['#/cohorts', '[data-testid=cohorts]'],
  ['#/segments', '[data-testid=segments]'],
  [`#/segments/${SEGMENT}`, '[data-testid=members]'],
  ['#/segments/new', 'text=Add condition'],
  [`#/customers/${encodeURIComponent(customer)}`, '[data-testid=profile-orders]'],
  ['#/rfm', '[data-testid=rfm-grid]'],
  ['#/clv', '[data-testid=clv-customers]'],
  ['#/clusters', '[data-testid=clusters]'],
  ['#/jobs', '[data-testid=jobs]'],
];

// Debian's Chromium, as the console's browser tests drive it (the test run installs it).
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking'],
});
const seconds: Record<string, [number, number] | string> = {};
const errors: string[] = [];
async function visit(page: Page, hash: string, selector: string): Promise<number> {
  const started = performance.now();
  await page.goto(`${engine.origin}/${hash}`);
  await page.locator(selector).first().waitFor({ timeout: 120_000 });
  return Number(((performance.now() - started) / 1000).toFixed(2));
}
try {
  for (const [hash, selector] of PAGES) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${hash}: ${message.text().slice(0, 200)}`);
    });
    try {
      const first = await visit(page, hash, selector);
      await page.goto('about:blank');
      seconds[hash] = [first, await visit(page, hash, selector)];
    } catch (error) {
      seconds[hash] = `failed: ${(error as Error).message.split('\n')[0]}`;
    } finally {
      await page.close();
    }
  }
} finally {
  await browser.close();
  await engine.stop();
}
console.log(JSON.stringify({ jobSeconds: jobs, pageSeconds: seconds, errors }));
