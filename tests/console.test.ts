import { readFileSync } from 'node:fs';
import type {
  CampaignsReport,
  ChannelsReport,
  ClustersReport,
  ClvReport,
  CohortsReport,
  LifecycleReport,
  OverviewReport,
  Profile,
  RfmReport,
  Segment,
} from '@rapport/schemas';
import { generateEvents } from '@rapport/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import {
  screenshotAndAxe,
  shownVerdicts,
  verdicts,
  type Cell,
  type ExplainedNode,
  type Queryable,
} from './support/console-page.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

const ADMIN_KEY = 'console-admin-key-0001';
const READ_KEY = 'console-read-key-00001';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };

let engine: TestEngine;
let browser: Browser;
let base: string;

const count = (value: number) =>
  new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(value);
const money = (value: number) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(value);

async function api<T>(url: string): Promise<T> {
  const response = await engine.app.inject({ url, headers: AUTH });
  if (response.statusCode !== 200)
    throw new Error(`${url}: ${response.statusCode} ${response.body}`);
  return response.json<T>();
}

async function runJob(name: string, params: Record<string, unknown> = {}) {
  const started = await engine.app.inject({
    method: 'POST',
    url: `/v1/jobs/${name}/runs`,
    headers: AUTH,
    payload: params,
  });
  expect(started.statusCode).toBe(202);
  const { runId } = started.json<{ runId: string }>();
  for (;;) {
    const run = await api<{ status: string; error: string | null }>(`/v1/jobs/runs/${runId}`);
    if (run.status === 'succeeded') return;
    if (run.status === 'failed') throw new Error(`${name} failed: ${run.error}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function sendEvents() {
  let batch: unknown[] = [];
  const flush = async () => {
    const response = await engine.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: AUTH,
      payload: { events: batch },
    });
    expect(response.json<{ rejected: unknown[] }>().rejected).toEqual([]);
    batch = [];
  };
  for (const event of generateEvents({ seed: 21, customers: 400, buyerRate: 0.7 })) {
    batch.push(event);
    if (batch.length === 500) await flush();
  }
  if (batch.length > 0) await flush();
}

/** A page signed in with the admin key, at `hash`, once `selector` shows. */
async function open(hash: string, selector: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(base);
  // Page functions are written as strings: the tests compile without the DOM library.
  await page.evaluate(`sessionStorage.setItem('rapport.apiKey', ${JSON.stringify(ADMIN_KEY)})`);
  await page.goto(`${base}${hash}`);
  await page.reload();
  await page.locator(selector).first().waitFor({ timeout: 30_000 });
  return page;
}

const text = (page: Page, testId: string) => page.getByTestId(testId).innerText();

/** Saves a screenshot, checks the page with axe, and closes it. */
async function check(page: Page, name: string) {
  await screenshotAndAxe(page, name);
  await page.close();
}

interface Explanation {
  customerId: string;
  matches: boolean;
  member: boolean;
  rule: ExplainedNode;
}

/** The cells of a table's rows, by `data-col`. */
async function tableRows(page: Page, testId: string): Promise<Record<string, string>[]> {
  return page
    .getByTestId(testId)
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
}

beforeAll(async () => {
  engine = await startTestEngine({ RAPPORT_API_KEYS: `${ADMIN_KEY}:admin,${READ_KEY}:read` });
  await sendEvents();
  for (const job of ['rfm', 'clv', 'clusters']) await runJob(job);
  const saved = await engine.app.inject({
    method: 'POST',
    url: '/v1/segments',
    headers: AUTH,
    payload: {
      id: 'repeat-buyers',
      name: 'Repeat buyers',
      rule: { type: 'field', field: 'orders', op: 'gte', value: 2 },
    },
  });
  expect(saved.statusCode).toBe(201);
  await runJob('segments');
  base = await engine.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await engine?.dispose();
});

describe('the console', () => {
  it('asks for a key, refuses a wrong one, and opens with a good one', async () => {
    const page = await browser.newPage();
    await page.goto(base);
    const key = page.getByLabel('API key');
    await key.waitFor();
    await key.fill('not-a-valid-key-at-all');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByText('That key was refused').waitFor();
    await page.getByLabel('API key').fill(READ_KEY);
    await page.getByRole('button', { name: 'Open' }).click();
    const report = await api<OverviewReport>('/v1/reports/overview');
    await page.getByTestId('orders').waitFor();
    expect(await text(page, 'orders')).toBe(count(report.totals.orders));
    expect(await page.evaluate("sessionStorage.getItem('rapport.apiKey')")).toBe(READ_KEY);
    await page.close();
  });

  it('overview: the totals the API answers', async () => {
    const report = await api<OverviewReport>('/v1/reports/overview');
    expect(report.totals.orders).toBeGreaterThan(0);
    const page = await open('#/overview', '[data-testid=orders]');
    expect(await text(page, 'events')).toBe(count(report.totals.events));
    expect(await text(page, 'active-profiles')).toBe(count(report.totals.activeProfiles));
    expect(await text(page, 'orders')).toBe(count(report.totals.orders));
    expect(await text(page, 'revenue')).toBe(money(report.totals.revenue));
    expect(await text(page, 'net-revenue')).toBe(money(report.totals.netRevenue));
    expect(await text(page, 'new-customers')).toBe(count(report.totals.newCustomers));
    expect(await text(page, 'returning-customers')).toBe(count(report.totals.returningCustomers));
    expect(await page.locator('canvas').count()).toBe(4);
    await check(page, 'overview');
  });

  it('overview: a period picked with the date inputs', async () => {
    const report = await api<OverviewReport>('/v1/reports/overview?from=2024-06-01&to=2024-07-01');
    const page = await open('#/overview', '[data-testid=orders]');
    await page.locator('input[name=from]').fill('2024-06-01');
    await page.locator('input[name=to]').fill('2024-07-01');
    await page.getByTestId('period').filter({ hasText: '2024-06-01 to 2024-06-30' }).waitFor();
    expect(await text(page, 'orders')).toBe(count(report.totals.orders));
    expect(await text(page, 'revenue')).toBe(money(report.totals.revenue));
    await page.close();
  });

  it('lifecycle: stages at the end of the period', async () => {
    const report = await api<LifecycleReport>('/v1/reports/lifecycle');
    const page = await open('#/lifecycle', '[data-testid=stage-visitor]');
    for (const stage of report.stages) {
      expect(await text(page, `stage-${stage.stage}`)).toBe(count(stage.end));
    }
    await check(page, 'lifecycle');
  });

  it('channels: one row per channel with its visits, orders and revenue', async () => {
    const report = await api<ChannelsReport>('/v1/reports/channels');
    const page = await open('#/channels', '[data-testid=channels]');
    const rows = await tableRows(page, 'channels');
    expect(rows.map((r) => [r.channel, r.visits, r.orders, r.revenue])).toEqual(
      report.channels.map((c) => [c.channel, count(c.visits), count(c.orders), money(c.revenue)]),
    );
    expect((await tableRows(page, 'campaign-tags')).length).toBe(report.campaigns.length);
    await check(page, 'channels');
  });

  it('campaigns: the funnel totals and each campaign', async () => {
    const range = 'from=2024-01-01&to=2025-01-01';
    const report = await api<CampaignsReport>(`/v1/reports/campaigns?${range}&attributionDays=7`);
    expect(report.campaigns.length).toBeGreaterThan(0);
    const page = await open(`#/campaigns?${range}`, '[data-testid=total-sent]');
    for (const step of ['sent', 'delivered', 'opened', 'clicked', 'ordered'] as const) {
      expect(await text(page, `total-${step}`)).toBe(count(report.totals[step]));
    }
    expect(await text(page, 'total-revenue')).toBe(money(report.totals.revenue));
    const rows = await tableRows(page, 'campaigns');
    expect(rows.map((r) => [r.campaign, r.sent, r.bounced])).toEqual(
      report.campaigns.map((c) => [c.campaignId, count(c.sent), count(c.bounced)]),
    );
    await check(page, 'campaigns');
  });

  it('cohorts: each cohort with its size', async () => {
    const report = await api<CohortsReport>('/v1/reports/cohorts');
    expect(report.cohorts.length).toBeGreaterThan(0);
    const page = await open('#/cohorts', '[data-testid=cohorts]');
    const rows = await tableRows(page, 'cohorts');
    expect(rows.map((r) => r.size)).toEqual(report.cohorts.map((c) => count(c.size)));
    await check(page, 'cohorts');
  });

  it('segments: sizes, the rule, members and their CSV', async () => {
    const { segments } = await api<{ segments: Segment[] }>('/v1/segments');
    const list = await open('#/segments', '[data-testid=segments]');
    const rows = await tableRows(list, 'segments');
    expect(rows.map((r) => [r.id, r.members])).toEqual(
      segments.map((s) => [s.id, count(s.lastEvaluation?.members ?? 0)]),
    );
    await list.locator('[data-testid=segments] canvas').first().waitFor();
    expect(await list.locator('[data-testid=segments] canvas').count()).toBe(segments.length);
    await check(list, 'segments');

    const members = segments[0]!.lastEvaluation!.members;
    expect(members).toBeGreaterThan(0);
    const page = await open('#/segments/repeat-buyers', '[data-testid=rule]');
    expect(await text(page, 'segment-members')).toBe(count(members));
    expect(JSON.parse(await text(page, 'rule'))).toEqual(segments[0]!.rule);
    await page.getByTestId('members').waitFor();
    expect((await tableRows(page, 'members')).length).toBe(Math.min(100, members));
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    const csv = readFileSync(await file.path(), 'utf8')
      .trim()
      .split('\n');
    expect(csv.length - 1).toBe(members);
    await check(page, 'segment');
  });

  it('segment: explains a member and a non-member as the API does', async () => {
    const rule = {
      type: 'and',
      rules: [
        { type: 'field', field: 'orders', op: 'gte', value: 2 },
        { type: 'not', rule: { type: 'field', field: 'orders', op: 'gte', value: 500 } },
        {
          type: 'or',
          rules: [
            { type: 'event', event: 'purchase', count: { atLeast: 3 } },
            { type: 'field', field: 'rfm.f', op: 'gte', value: 4 },
          ],
        },
      ],
    };
    const saved = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments',
      headers: AUTH,
      payload: { id: 'frequent-buyers', name: 'Frequent buyers', rule },
    });
    expect(saved.statusCode).toBe(201);
    // No schedule here, so no run for the save: the page says the version waits for one, and
    // shows the members by itself once a run has evaluated it.
    const page = await open('#/segments/frequent-buyers', '[data-testid=evaluation-pending]');
    expect(await text(page, 'evaluation-pending')).toMatch(/^Version 1 is not evaluated yet\./);
    await runJob('segments');
    await page.getByTestId('members').waitFor({ timeout: 15_000 });
    await page.getByTestId('evaluation-pending').waitFor({ state: 'detached' });
    const preview = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments/preview',
      headers: AUTH,
      payload: { rule: { type: 'field', field: 'orders', op: 'eq', value: 1 }, sample: 20 },
    });
    const outsider = preview
      .json<{ sample: { customerId: string | null }[] }>()
      .sample.find((p) => p.customerId !== null)!.customerId!;

    // The first identified member (an anonymous one is shown as "visitor …", not explained).
    const member = (await tableRows(page, 'members'))
      .map((row) => row.member!)
      .find((name) => !name.startsWith('visitor '))!;
    await page.getByRole('button', { name: `Explain ${member}` }).click();
    await page.getByTestId('explanation').waitFor();
    const memberAnswer = await api<Explanation>(`/v1/segments/frequent-buyers/explain/${member}`);
    expect(memberAnswer).toMatchObject({ matches: true, member: true });
    expect(await shownVerdicts(page)).toEqual(verdicts(memberAnswer.rule));
    expect(await text(page, 'explain-matches')).toBe('matches the rule');
    expect(await text(page, 'explain-member')).toBe('a member');

    await page.getByLabel('Customer id').fill(outsider);
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    await page.getByTestId('explain-matches').filter({ hasText: 'does not match' }).waitFor();
    const outsiderAnswer = await api<Explanation>(
      `/v1/segments/frequent-buyers/explain/${outsider}`,
    );
    expect(outsiderAnswer).toMatchObject({ matches: false, member: false });
    const shown = await shownVerdicts(page);
    expect(shown).toEqual(verdicts(outsiderAnswer.rule));
    expect(shown['/rule/rules/0']).toBe('false');
    // The condition that keeps them out is the one marked, with the value it tested.
    const failing = page.locator('[data-testid=explanation] [data-path="/rule/rules/0"]');
    expect(await failing.getAttribute('class')).toContain('deciding');
    expect(await failing.getByTestId('found').innerText()).toBe('value: 1');
    expect(await page.locator('.deciding').count()).toBeGreaterThan(0);
    await check(page, 'segment-explain');

    // From a customer's page: the segments they are in, each with a link to why.
    const profile = await open(`#/customers/${member}`, '[data-testid=profile-segments]');
    await profile
      .locator('[data-testid=profile-segments] tr', { hasText: 'Frequent buyers' })
      .getByRole('link', { name: 'Why?' })
      .click();
    await profile.getByTestId('explanation').waitFor();
    expect(profile.url()).toContain(`#/segments/frequent-buyers?explain=${member}`);
    expect(await shownVerdicts(profile)).toEqual(verdicts(memberAnswer.rule));
    // A customer no one has sent events for: the API's answer, said on the page.
    await profile.getByLabel('Customer id').fill('nobody-by-this-id');
    await profile.getByRole('button', { name: 'Explain', exact: true }).click();
    await profile.getByText('no customer with id "nobody-by-this-id"').waitFor();
    await profile.close();

    // A segment that requires consent: the consent condition explained beside the rule.
    const consenting = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments',
      headers: AUTH,
      payload: {
        id: 'consenting-buyers',
        name: 'Consenting buyers',
        rule: { type: 'field', field: 'orders', op: 'gte', value: 2 },
        requiresConsent: ['marketing'],
      },
    });
    expect(consenting.statusCode).toBe(201);
    const consentAnswer = await api<Explanation>(
      `/v1/segments/consenting-buyers/explain/${member}`,
    );
    const withConsent = await open(
      `#/segments/consenting-buyers?explain=${member}`,
      '[data-testid=explanation]',
    );
    expect(await text(withConsent, 'requires-consent')).toContain('marketing');
    expect(await shownVerdicts(withConsent)).toEqual(verdicts(consentAnswer.rule));
    expect(await withConsent.getByTestId('explanation').innerText()).toContain(
      'traits.consent_marketing',
    );
    await withConsent.close();
  });

  it('segment builder: live count, an error on the node at fault, saved as built', async () => {
    const rule = { type: 'and', rules: [{ type: 'field', field: 'orders', op: 'gte', value: 3 }] };
    const preview = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments/preview',
      headers: AUTH,
      payload: { rule, sample: 0 },
    });
    const { count: matching } = preview.json<{ count: number }>();
    expect(matching).toBeGreaterThan(0);
    const page = await open('#/segments/new', 'text=Add condition');
    await page.getByLabel('Id (optional)').fill('big-buyers');
    await page.getByLabel('Name').fill('Big buyers');
    await page.getByRole('button', { name: 'Add condition' }).click();
    const node = page.locator('[data-path="/rule/rules/0"]');
    await node.getByLabel('field').selectOption('orders');
    await node.getByLabel('operator').selectOption('gte');
    await node.getByLabel('value').fill('lots');
    await node.getByLabel('value').press('Tab');
    await page.locator('[data-path="/rule/rules/0"].has-issue').waitFor();
    expect(await node.locator('.node-issues').innerText()).toMatch(/number/);
    expect(await page.locator('[data-path="/rule"].has-issue').count()).toBe(0);
    await node.getByLabel('value').fill('3');
    await node.getByLabel('value').press('Tab');
    await page
      .getByTestId('preview-count')
      .filter({ hasText: `${count(matching)} profiles match` })
      .waitFor();
    expect(await page.locator('.has-issue').count()).toBe(0);
    expect(JSON.parse(await page.getByLabel('rule as JSON').inputValue())).toEqual(rule);
    await check(page, 'segment-builder');
    const saved = await open('#/segments/new', 'text=Add condition');
    await saved.getByLabel('Id (optional)').fill('big-buyers');
    await saved.getByLabel('Name').fill('Big buyers');
    await saved.getByLabel('rule as JSON').fill(JSON.stringify(rule));
    await saved.getByTestId('preview-count').filter({ hasText: 'profiles match' }).waitFor();
    await saved.getByRole('button', { name: 'Save segment' }).click();
    await saved.getByTestId('rule').waitFor();
    const segment = await api<Segment>('/v1/segments/big-buyers');
    expect(segment.name).toBe('Big buyers');
    expect(segment.rule).toEqual(rule);
    await saved.close();
  });

  it('customer 360: the profile the API answers, found by id', async () => {
    const { top } = await api<ClvReport>('/v1/reports/clv?top=1');
    const customerId = top[0]!.customerId;
    const profile = await api<Profile>(`/v1/customers/${customerId}`);
    const page = await open('#/customers', 'input[name=q]');
    await page.locator('input[name=q]').fill(customerId);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByTestId('profile-orders').waitFor();
    expect(await text(page, 'customer-id')).toBe(customerId);
    expect(await text(page, 'lifecycle')).toBe(profile.lifecycle);
    expect(await text(page, 'profile-orders')).toBe(count(profile.stats.orders));
    expect(await text(page, 'profile-revenue')).toBe(money(profile.stats.revenue));
    expect(await text(page, 'rfm-score')).toContain(profile.rfm!.score);
    expect(await text(page, 'clv')).toBe(money(profile.clv!.clv));
    await page.getByTestId('timeline').waitFor();
    expect((await tableRows(page, 'timeline')).length).toBe(Math.min(50, profile.stats.events));
    await check(page, 'customer');
  });

  it('RFM: every cell of the grid', async () => {
    const report = await api<RfmReport>('/v1/reports/rfm');
    const page = await open('#/rfm', '[data-testid=rfm-grid]');
    expect(await text(page, 'rfm-customers')).toBe(count(report.customers));
    const cells = Object.assign({}, ...(await tableRows(page, 'rfm-grid'))) as Record<
      string,
      string
    >;
    for (const cell of report.grid) {
      expect(cells[`r${cell.r}f${cell.f}`]!.split('\n')[0]).toBe(count(cell.customers));
    }
    const biggest = report.grid.reduce((a, b) => (b.customers > a.customers ? b : a));
    await page
      .getByRole('button', {
        name: `${count(biggest.customers)} customers in R${biggest.r} F${biggest.f}`,
      })
      .click();
    await page.getByTestId('rfm-cell').waitFor();
    expect(await text(page, 'rfm-cell')).toContain(
      `R${biggest.r} F${biggest.f}: ${count(biggest.customers)} customers`,
    );
    await check(page, 'rfm');
  });

  it('CLV and clusters: the headline figures and each cluster', async () => {
    const clv = await api<ClvReport>('/v1/reports/clv?top=20');
    const page = await open('#/clv', '[data-testid=clv-customers]');
    expect(await text(page, 'clv-customers')).toBe(count(clv.customers));
    expect(await text(page, 'clv-total')).toBe(money(clv.totals.clv));
    expect((await tableRows(page, 'clv-top')).map((r) => r.customer)).toEqual(
      clv.top.map((c) => c.customerId),
    );
    await check(page, 'clv');

    const clusters = await api<ClustersReport>('/v1/reports/clusters');
    const clustersPage = await open('#/clusters', '[data-testid=clusters]');
    expect((await tableRows(clustersPage, 'clusters')).map((r) => [r.id, r.size])).toEqual(
      clusters.clusters.map((c) => [String(c.id), count(c.size)]),
    );
    await check(clustersPage, 'clusters');
  });

  it('clusters: the warnings of a run that made fewer clusters than asked', async () => {
    await runJob('clusters', { k: 8, minClusterShare: 0.3 });
    const clusters = await api<ClustersReport>('/v1/reports/clusters');
    expect(clusters.warnings.length).toBeGreaterThan(0);
    const page = await open('#/clusters', '[data-testid=clusters-warnings]');
    expect(await page.getByTestId('clusters-warnings').locator('li').allInnerTexts()).toEqual(
      clusters.warnings,
    );
    expect((await tableRows(page, 'clusters-tried')).map((r) => r.k)).toEqual(
      clusters.tried.map((t) => String(t.k)),
    );
    await check(page, 'clusters-warnings');
  });

  it('jobs: every job with a button to start it, and who started each run with what', async () => {
    const page = await open('#/jobs', '[data-testid=jobs]');
    const shown = await tableRows(page, 'runs');
    expect(shown.length).toBeGreaterThanOrEqual(4);
    const { runs } = await api<{
      runs: { runId: string; trigger: string; params: Record<string, unknown> }[];
    }>('/v1/jobs/runs?limit=30');
    const words: Record<string, string> = {
      api: 'API',
      cli: 'command line',
      schedule: 'schedule',
      'segment-saved': 'segment saved',
    };
    expect(shown.map((row) => [row.run, row['started by']])).toEqual(
      runs.map((run) => [run.runId, words[run.trigger]]),
    );
    // The clusters run asked for k 8 says so, beside the defaults it took.
    const clusters = runs.find((run) => run.params.k === 8);
    const asked = shown.find((row) => row.run === clusters?.runId)?.parameters ?? '';
    expect(asked.split('; ')).toEqual(expect.arrayContaining(['k 8', 'minClusterShare 0.3']));
    await check(page, 'jobs');
  });
});
