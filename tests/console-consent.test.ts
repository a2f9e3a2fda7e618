import type { Segment } from '@rapport/schemas';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import {
  screenshotAndAxe as check,
  shownVerdicts,
  verdicts,
  type Cell,
  type ExplainedNode,
  type Queryable,
} from './support/console-page.js';
import { runJob, sendAll } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

// The console and a segment's consent requirement (requiresConsent): set in the segment
// editor and stored as typed, refused at its field as the API refuses it, shown in the list,
// on the segment's page and in explain, and cleared again.

const RULE = { type: 'field', field: 'orders', op: 'gte', value: 2 };
const ID = 'buyers-consenting';

let engine: TestEngine;
let browser: Browser;
let base: string;
let sequence = 0;

const at = () => new Date(Date.now() - 3_600_000 + ++sequence * 1000).toISOString();
const purchase = (customerId: string) => ({
  type: 'purchase',
  eventId: `console-consent-order-${++sequence}`,
  customerId,
  timestamp: at(),
  properties: { orderId: `console-consent-${sequence}`, revenue: 30, currency: 'USD' },
});
const consent = (customerId: string, marketing: string) => ({
  type: 'identify',
  eventId: `console-consent-identify-${++sequence}`,
  customerId,
  timestamp: at(),
  properties: { traits: { consent_marketing: marketing } },
});

async function api<T>(url: string): Promise<T> {
  const response = await engine.app.inject({ url });
  if (response.statusCode !== 200)
    throw new Error(`${url}: ${response.statusCode} ${response.body}`);
  return response.json<T>();
}

async function previewCount(requiresConsent: string[]): Promise<number> {
  const answer = await engine.app.inject({
    method: 'POST',
    url: '/v1/segments/preview',
    payload: { rule: RULE, requiresConsent, sample: 0 },
  });
  expect(answer.statusCode, answer.body).toBe(200);
  return answer.json<{ count: number }>().count;
}

/** A page at `hash` (no keys are configured: the console just opens), once `selector` shows. */
async function open(hash: string, selector: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}${hash}`);
  await page.locator(selector).first().waitFor({ timeout: 30_000 });
  return page;
}

const text = (page: Page, testId: string) => page.getByTestId(testId).innerText();

/** The consent cell of each row of the segment list, by segment id. */
async function consentColumn(page: Page): Promise<Record<string, string>> {
  const rows = await page
    .getByTestId('segments')
    .evaluate((table: Queryable<Queryable<Cell>>) =>
      [...table.querySelectorAll('tbody tr')].map((row) =>
        Object.fromEntries(
          [...row.querySelectorAll('td[data-col]')].map((cell) => [
            cell.getAttribute('data-col') ?? '',
            cell.innerText.trim(),
          ]),
        ),
      ),
    );
  return Object.fromEntries(rows.map((row) => [row.id ?? '', row.consent ?? '']));
}

beforeAll(async () => {
  engine = await startTestEngine();
  // ann and bob bought twice, ann granted marketing and bob denied it; cat granted it and
  // bought once; dan bought twice and never said.
  await sendAll(engine, [
    consent('ann', 'granted'),
    consent('bob', 'denied'),
    consent('cat', 'granted'),
    purchase('ann'),
    purchase('ann'),
    purchase('bob'),
    purchase('bob'),
    purchase('cat'),
    purchase('dan'),
    purchase('dan'),
  ]);
  const plain = await engine.app.inject({
    method: 'POST',
    url: '/v1/segments',
    payload: { id: 'buyers', name: 'Buyers', rule: RULE },
  });
  expect(plain.statusCode, plain.body).toBe(201);
  const run = await runJob(engine, 'segments');
  expect(run.status, run.error ?? '').toBe('succeeded');
  base = await engine.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await engine?.dispose();
});

describe('the console and a segment that requires consent', () => {
  it('editor: purposes checked as typed, previewed with them, saved with them', async () => {
    const everyone = await previewCount([]);
    const consenting = await previewCount(['marketing']);
    expect([everyone, consenting]).toEqual([3, 1]);

    const page = await open('#/segments/new', 'text=Add condition');
    await page.getByLabel('Id (optional)').fill(ID);
    await page.getByLabel('Name').fill('Buyers who accept marketing');
    await page.getByLabel('rule as JSON').fill(JSON.stringify(RULE));
    const count = page.getByTestId('preview-count');
    await count.filter({ hasText: `${everyone} profiles match` }).waitFor();

    const field = page.getByLabel('Requires consent (optional)');
    await field.fill('marketing, Marketing');
    await page.getByTestId('consent-error').waitFor();
    expect(await text(page, 'consent-error')).toBe(
      'Requires consent: "Marketing" must be 1–32 of a-z 0-9 _, starting with a letter (e.g. marketing)',
    );
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    await count.filter({ hasText: '…' }).waitFor();
    // Not sent: nothing is saved while the field is wrong.
    await page.getByRole('button', { name: 'Save segment' }).click();
    expect(await page.getByTestId('consent-error').count()).toBe(1);
    expect((await engine.app.inject({ url: `/v1/segments/${ID}` })).statusCode).toBe(404);

    await field.fill('marketing, marketing');
    await page.getByTestId('consent-error').filter({ hasText: 'names a purpose twice' }).waitFor();

    await field.fill('marketing');
    await count.filter({ hasText: `${consenting} profiles match` }).waitFor();
    expect(await page.getByTestId('consent-error').count()).toBe(0);
    expect(await field.getAttribute('aria-invalid')).toBeNull();
    await check(page, 'segment-builder-consent');

    await page.getByRole('button', { name: 'Save segment' }).click();
    await page.getByTestId('rule').waitFor();
    const saved = await api<Segment>(`/v1/segments/${ID}`);
    expect(saved).toMatchObject({ version: 1, rule: RULE, requiresConsent: ['marketing'] });
    await page.close();
  }, 120_000);

  it('list and page: a badge naming the purposes, and what it means', async () => {
    const list = await open('#/segments', '[data-testid=segments]');
    expect(await consentColumn(list)).toEqual({
      buyers: '',
      [ID]: 'requires consent: marketing',
    });
    expect(await text(list, 'consent-meaning')).toBe(
      'Requires consent: Members must have granted each purpose: their latest consent_<purpose> trait is "granted".',
    );
    await check(list, 'segments-consent');
    await list.close();

    const page = await open(`#/segments/${ID}`, '[data-testid=requires-consent]');
    expect(await page.getByTestId('consent-badge').innerText()).toBe('requires consent: marketing');
    expect(await text(page, 'requires-consent')).toContain(
      'their latest consent_<purpose> trait is "granted"',
    );
    await check(page, 'segment-consent');
    await page.close();
  }, 120_000);

  it('explain: the consent condition marked, and said when it alone keeps a customer out', async () => {
    const bob = await api<{ requiresConsent: string[]; matches: boolean; rule: ExplainedNode }>(
      `/v1/segments/${ID}/explain/bob`,
    );
    expect(bob).toMatchObject({ requiresConsent: ['marketing'], matches: false });
    const page = await open(`#/segments/${ID}?explain=bob`, '[data-testid=explanation]');
    expect(await shownVerdicts(page)).toEqual(verdicts(bob.rule));
    expect(await text(page, 'explain-consent')).toBe(
      'Matches the segment\'s own rule but has not granted consent for marketing (consent_<purpose> is not "granted"): that alone keeps them out.',
    );
    // The rule is one condition: membership is `and` of it and the consent condition.
    const condition = page.locator('[data-testid=explanation] [data-path="/rule/rules/1"]');
    expect(await condition.getByTestId('consent-condition').innerText()).toBe(
      'required consent: marketing',
    );
    expect(await condition.getAttribute('class')).toContain('deciding');
    expect(await condition.getAttribute('data-verdict')).toBe('false');
    expect(await condition.getByTestId('found').innerText()).toBe('value: denied');
    expect(
      await page.locator('[data-testid=explanation] [data-path="/rule/rules/0"]').count(),
    ).toBe(1);
    expect(await page.getByTestId('consent-condition').count()).toBe(1);
    await check(page, 'segment-explain-consent');

    // cat granted it but bought once; ann granted it and bought twice.
    await page.getByLabel('Customer id').fill('cat');
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    await page.getByTestId('explain-consent').filter({ hasText: 'Has granted' }).waitFor();
    expect(await text(page, 'explain-consent')).toBe(
      'Has granted consent for marketing, which the segment requires.',
    );
    const cat = await api<{ rule: ExplainedNode }>(`/v1/segments/${ID}/explain/cat`);
    expect(await shownVerdicts(page)).toEqual(verdicts(cat.rule));
    expect(await text(page, 'explain-matches')).toBe('does not match the rule');

    // A segment requiring none: no consent line, no condition marked.
    const plain = await open('#/segments/buyers?explain=bob', '[data-testid=explanation]');
    expect(await plain.getByTestId('explain-consent').count()).toBe(0);
    expect(await plain.getByTestId('consent-condition').count()).toBe(0);
    expect(await plain.getByTestId('requires-consent').count()).toBe(0);
    await plain.close();
    await page.close();
  }, 120_000);

  it("editor: the API's refusal of the purposes shown at their field", async () => {
    // The API's own wording of a purpose it refuses, which the console reads at the field.
    const refused = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments',
      payload: { id: 'refused', name: 'Refused', rule: RULE, requiresConsent: ['Marketing!'] },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ message: string }>().message).toMatch(
      /^body\.requiresConsent\.0: must be 1–32 of a-z 0-9 _/,
    );

    // 197 nodes: four purposes take it past the 200-node limit, which only the API knows.
    const big = {
      type: 'and',
      rules: Array.from({ length: 4 }, () => ({
        type: 'or',
        rules: Array.from({ length: 48 }, () => RULE),
      })),
    };
    const page = await open('#/segments/new', 'text=Add condition');
    await page.getByLabel('Id (optional)').fill('too-big-for-consent');
    await page.getByLabel('Name').fill('Too big for consent');
    await page.getByLabel('rule as JSON').fill(JSON.stringify(big));
    await page.getByTestId('preview-count').filter({ hasText: 'profiles match' }).waitFor();
    await page.getByLabel('Requires consent (optional)').fill('marketing, analytics, sms, phone');
    const error = page.getByTestId('consent-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(
      /^Requires consent: with a condition per required purpose, .*200/,
    );
    expect(await page.locator('.has-issue').count()).toBe(0);
    expect(await page.getByTestId('rule-error').count()).toBe(0);

    const [answer] = await Promise.all([
      page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/v1/segments',
      ),
      page.getByRole('button', { name: 'Save segment' }).click(),
    ]);
    expect(answer.status()).toBe(400);
    expect(await error.innerText()).toMatch(
      /^Requires consent: with a condition per required purpose, .*200/,
    );
    expect((await engine.app.inject({ url: '/v1/segments/too-big-for-consent' })).statusCode).toBe(
      404,
    );
    await check(page, 'segment-builder-consent-refused');
    await page.close();
  }, 120_000);

  it('editor: cleared in the next version, and shown nowhere after', async () => {
    const page = await open(`#/segments/${ID}/edit`, 'input[name=requiresConsent]');
    const field = page.getByLabel('Requires consent (optional)');
    expect(await field.inputValue()).toBe('marketing');
    await page.getByTestId('preview-count').filter({ hasText: '1 profiles match' }).waitFor();
    await field.fill('');
    await page.getByTestId('preview-count').filter({ hasText: '3 profiles match' }).waitFor();
    await page.getByRole('button', { name: 'Save version 2' }).click();
    await page.getByTestId('rule').waitFor();
    expect(await api<Segment>(`/v1/segments/${ID}`)).toMatchObject({
      version: 2,
      rule: RULE,
      requiresConsent: [],
    });
    expect(await page.getByTestId('requires-consent').count()).toBe(0);
    await page.close();

    const list = await open('#/segments', '[data-testid=segments]');
    expect(await consentColumn(list)).toEqual({ buyers: '', [ID]: '' });
    expect(await list.getByTestId('consent-meaning').count()).toBe(0);
    await list.close();
  }, 120_000);
});
