import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

const WRITE_KEY = 'browser-write-key-01';

// The bundles analytics-next publishes for script tags (dist/umd), served as a site would.
const umdDir = join(
  dirname(createRequire(import.meta.url).resolve('@segment/analytics-next/package.json')),
  'dist/umd',
);

/** A shop page: analytics.js loaded from this site, settings inline, Rapport as its API host. */
const shopPage = (apiHost: string) => `<!doctype html>
<html><head><title>Shop</title>
<script>
  // Where analytics.js loads its own lazy bundles from: this site, not Segment's CDN.
  window.analytics = { _cdn: location.origin };
</script>
<script src="/analytics-next/bundles/index.js"></script>
<script>
  window.ready = AnalyticsNext.AnalyticsBrowser.load(
    {
      writeKey: ${JSON.stringify(WRITE_KEY)},
      cdnURL: location.origin,
      cdnSettings: {
        integrations: {
          'Segment.io': {
            apiKey: ${JSON.stringify(WRITE_KEY)},
            apiHost: ${JSON.stringify(apiHost)},
            protocol: 'http',
            // ?delivery=batching: several calls a request, posted to /v1/b.
            ...(location.search.includes('delivery=batching')
              ? { deliveryStrategy: { strategy: 'batching', config: { size: 10, timeout: 300 } } }
              : {}),
          },
        },
      },
    },
    { disableClientPersistence: true },
  ).then(([analytics]) => { window.segment = analytics; return analytics.page(); });
</script>
</head><body>
<button id="mug" onclick="segment.track('Product Clicked', { product_id: 'mug-1', name: 'Mug' })">Mug</button>
</body></html>`;

let engine: TestEngine;
let site: Server;
let siteUrl: string;
let rapportHost: string;
let browser: Browser;

async function serveSite(apiHost: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://site').pathname;
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html' }).end(shopPage(apiHost));
      return;
    }
    const file = normalize(join(umdDir, path.replace(/^\/analytics-next\/bundles\//, '')));
    if (!path.startsWith('/analytics-next/bundles/') || !file.startsWith(umdDir)) {
      response.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => response.writeHead(200, { 'content-type': 'text/javascript' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const CHROMIUM = '/usr/bin/chromium';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`this test drives Debian's Chromium at ${CHROMIUM}: apt-get install chromium`);
  }
  engine = await startTestEngine({ RAPPORT_API_KEYS: `${WRITE_KEY}:ingest` });
  const rapport = new URL(await engine.app.listen({ host: '127.0.0.1', port: 0 }));
  rapportHost = rapport.host;
  site = await serveSite(`${rapport.host}/v1`);
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking'],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  site?.close();
  await engine?.dispose();
});

interface Row {
  event_id: string;
  type: string;
  customer_id: string;
  order_id: string;
  amount: number;
  properties: string;
}

interface Visit {
  anonymousId: string;
  /** Paths of Rapport's answers to the page's posts. */
  paths: string[];
  /** Requests the page tried to send anywhere but the site and Rapport (all refused). */
  elsewhere: string[];
}

/** Opens the shop, clicks the mug, identifies the visitor and completes an order. */
async function visitShop(options: { query: string; customerId: string; orderId: string }) {
  const page = await browser.newPage();
  const elsewhere: string[] = [];
  await page.route('**/*', (route) => {
    const { host } = new URL(route.request().url());
    if (host === new URL(siteUrl).host || host === rapportHost) return route.continue();
    elsewhere.push(route.request().url());
    return route.abort();
  });
  const answers: Array<{ path: string; status: number; body: { accepted?: number } }> = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.host !== rapportHost || response.request().method() !== 'POST') return;
    void response.json().then((body: { accepted?: number }) => {
      answers.push({ path: url.pathname, status: response.status(), body });
    });
  });

  await page.goto(`${siteUrl}${options.query}`);
  await page.evaluate(() => (globalThis as unknown as { ready: Promise<unknown> }).ready);
  await page.click('#mug');
  const anonymousId = await page.evaluate(async ({ customerId, orderId }) => {
    const { segment } = globalThis as unknown as {
      segment: {
        identify: (id: string, traits: object) => Promise<unknown>;
        track: (event: string, properties: object) => Promise<unknown>;
        user: () => { anonymousId: () => string };
      };
    };
    await segment.identify(customerId, { email: 'grace@example.com', plan: 'pro' });
    await segment.track('Order Completed', {
      order_id: orderId,
      revenue: 25,
      currency: 'USD',
      products: [{ product_id: 'mug-1', price: 25, quantity: 1 }],
    });
    return segment.user().anonymousId();
  }, options);
  // An answer comes after the store's commit: once four messages are accepted, all are stored.
  const accepted = () => answers.reduce((sum, answer) => sum + (answer.body.accepted ?? 0), 0);
  await expect.poll(accepted, { timeout: 90_000 }).toBe(4);
  expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
  await page.close();
  return { anonymousId, paths: answers.map((answer) => answer.path), elsewhere } satisfies Visit;
}

async function expectShopVisitStored(
  visit: Visit,
  options: { customerId: string; orderId: string },
) {
  const rows = await engine.store.query<Row>(
    `SELECT event_id, type, customer_id, order_id, toFloat64(amount) AS amount, properties
     FROM events WHERE anonymous_id = {id:String} ORDER BY timestamp`,
    { id: visit.anonymousId },
  );
  // Times are corrected for each request's clock skew, so close calls may swap places.
  expect(rows.map((row) => row.type).sort()).toEqual([
    'click',
    'identify',
    'page_view',
    'purchase',
  ]);
  const byType = (type: string) => rows.find((row) => row.type === type);
  const [view, click, identify, purchase] = ['page_view', 'click', 'identify', 'purchase'].map(
    byType,
  );
  expect(JSON.parse(view!.properties)).toMatchObject({ title: 'Shop' });
  expect(JSON.parse(view!.properties).url).toMatch(new RegExp(`^${siteUrl}`));
  expect(JSON.parse(click!.properties)).toMatchObject({ target: 'mug-1' });
  expect(identify!.customer_id).toBe(options.customerId);
  expect(JSON.parse(identify!.properties)).toMatchObject({
    traits: { email: 'grace@example.com', plan: 'pro' },
  });
  expect(purchase).toMatchObject({
    customer_id: options.customerId,
    order_id: options.orderId,
    amount: 25,
  });
  // The write key the browser repeats in every message is not stored.
  expect(JSON.stringify(rows)).not.toContain(WRITE_KEY);
  // Nothing left for Segment's servers or anywhere else.
  expect(visit.elsewhere).toEqual([]);
}

describe('analytics.js (analytics-next), unchanged, in a browser sending to Rapport', () => {
  it('stores a page view, a click, an identify and an order, one call a request', async () => {
    const options = { customerId: 'browser-customer-1', orderId: 'browser-o-1' };
    const visit = await visitShop({ query: '', ...options });
    expect(new Set(visit.paths)).toEqual(new Set(['/v1/p', '/v1/t', '/v1/i']));
    await expectShopVisitStored(visit, options);
  }, 120_000);

  it('stores the same with its batching delivery, several calls a request', async () => {
    const options = { customerId: 'browser-customer-2', orderId: 'browser-o-2' };
    const visit = await visitShop({ query: '?delivery=batching', ...options });
    expect(new Set(visit.paths)).toEqual(new Set(['/v1/b']));
    await expectShopVisitStored(visit, options);
  }, 120_000);
});
