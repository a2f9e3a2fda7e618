import { createApp, type App } from '@rapport/http';
import { createLogger, Metrics } from '@rapport/observability';
import { clustersReportSchema } from '@rapport/schemas';
import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatestRuns } from '@rapport/runs';
import { reportRoutes } from './routes.js';

let test: TestStore;
let app: App;
let latest: LatestRuns;

const FEATURES = ['orders', 'visits'];
const finishedAt = Date.UTC(2025, 0, 2, 3, 4, 5);

/** What a clusters run records when all went as asked; `summary` overrides members of it. */
const SUMMARY = {
  k: 2,
  kChosenBy: 'silhouette',
  silhouette: 0.71,
  inertia: 12.5,
  tried: [
    { k: 2, silhouette: 0.71, inertia: 12.5 },
    { k: 3, silhouette: 0.52, inertia: 9.1 },
  ],
  sample: { profiles: 4, seed: 1 },
};

function runRow(
  runId: string,
  status: 'succeeded' | 'failed',
  at: number,
  summary: Record<string, unknown> = {},
) {
  return {
    run_id: runId,
    job: 'clusters',
    params: '{}',
    trigger: 'api',
    status,
    started_at: at - 60_000,
    finished_at: at,
    rows_written: 0,
    phases: '[]',
    summary: JSON.stringify(status === 'failed' ? {} : { ...SUMMARY, ...summary }),
    error: status === 'failed' ? 'boom' : '',
    updated_at: at,
  };
}

/** What a clusters run stores: its features, its centroids and every profile's cluster. */
async function storeRun(runId: string) {
  const trait = { feature: 'orders', direction: 'high', z: 1.2, mean: 6, populationMean: 2.5 };
  await insertRows(test.store, 'cluster_features', [
    {
      run_id: runId,
      position: 0,
      feature: 'orders',
      transform: 'log1p',
      mean: 0.9,
      sd: 0.8,
      population_mean: 2.5,
    },
    {
      run_id: runId,
      position: 1,
      feature: 'visits',
      transform: 'log1p',
      mean: 1.4,
      sd: 0.5,
      population_mean: 4.75,
    },
  ]);
  const centroid = (
    cluster: number,
    size: number,
    means: number[],
    label: string,
    traits: object[],
  ) => ({
    run_id: runId,
    cluster,
    computed_at: finishedAt,
    features: FEATURES,
    size,
    centroid: [0, 0],
    position: [0, 0],
    means,
    z: [0, 0],
    label,
    description: JSON.stringify(traits),
  });
  await insertRows(test.store, 'cluster_centroids', [
    centroid(7, 1, [6, 2.123456], 'many orders', [trait]),
    centroid(3, 3, [1.3333, 5.6667], 'many visits', []),
  ]);
  await insertRows(
    test.store,
    'cluster_assignments',
    [
      ['c:ada', 7],
      ['a:x', 3],
      ['a:y', 3],
      ['a:z', 3],
    ].map(([profileKey, cluster]) => ({
      run_id: runId,
      profile_key: profileKey,
      cluster,
      distance: 0.5,
    })),
  );
}

beforeAll(async () => {
  test = await openTestStore();
  latest = new LatestRuns(test.store, 0);
  app = await createApp({
    config: {
      apiKeys: [],
      ingest: {
        maxEventsPerRequest: 10,
        maxBodyBytes: 1 << 20,
        maxEventBytes: 1 << 15,
        reportingCurrency: 'USD',
        currencyRates: { USD: 1 },
      },
    },
    logger: createLogger({ level: 'silent' }),
    metrics: new Metrics(),
    readiness: [],
    title: 'test',
  });
  await app.register(reportRoutes, {
    store: test.store,
    latest,
    currency: 'USD',
    profiles: { lifecycle: { lapsedAfterDays: 90 } },
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await test.dispose();
});

describe('GET /v1/reports/clusters', () => {
  it('answers 404 before any run, and for a run that is not a clusters run', async () => {
    const none = await app.inject({ method: 'GET', url: '/v1/reports/clusters' });
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({
      message: expect.stringMatching(/no successful clusters run/),
    });
    const unknown = await app.inject({ method: 'GET', url: '/v1/reports/clusters?runId=nope' });
    expect(unknown.statusCode).toBe(404);
  });

  it('answers 409 for a run that did not succeed', async () => {
    await insertRows(test.store, 'job_runs', [runRow('failed-run', 'failed', finishedAt)]);
    const answer = await app.inject({
      method: 'GET',
      url: '/v1/reports/clusters?runId=failed-run',
    });
    expect(answer.statusCode).toBe(409);
    expect(answer.json()).toMatchObject({ message: 'clusters run failed-run is failed' });
  });

  it('reports the latest successful run: k, features and each cluster with its share', async () => {
    await storeRun('good-run');
    await insertRows(test.store, 'job_runs', [runRow('good-run', 'succeeded', finishedAt)]);
    const answer = await app.inject({ method: 'GET', url: '/v1/reports/clusters' });
    expect(answer.statusCode).toBe(200);
    const report = clustersReportSchema.parse(answer.json());
    expect(report).toMatchObject({
      runId: 'good-run',
      computedAt: '2025-01-02T03:04:05.000Z',
      profiles: 4,
      k: 2,
      kChosenBy: 'silhouette',
      silhouette: 0.71,
      inertia: 12.5,
      features: [
        { name: 'orders', transform: 'log1p', mean: 0.9, sd: 0.8, populationMean: 2.5 },
        { name: 'visits', transform: 'log1p', mean: 1.4, sd: 0.5, populationMean: 4.75 },
      ],
    });
    expect(report.tried).toEqual([
      { k: 2, silhouette: 0.71, inertia: 12.5 },
      { k: 3, silhouette: 0.52, inertia: 9.1 },
    ]);
    // A run recorded before runs had warnings or a minimum share reads as having none.
    expect(report.warnings).toEqual([]);
    expect(report.minClusterShare).toBeNull();
    expect(report.clusters).toEqual([
      {
        id: 3,
        label: 'many visits',
        size: 3,
        share: 0.75,
        centroid: { orders: 1.333, visits: 5.667 },
        description: [],
      },
      {
        id: 7,
        label: 'many orders',
        size: 1,
        share: 0.25,
        centroid: { orders: 6, visits: 2.123 },
        description: [
          { feature: 'orders', direction: 'high', z: 1.2, mean: 6, populationMean: 2.5 },
        ],
      },
    ]);
    const byId = await app.inject({ method: 'GET', url: '/v1/reports/clusters?runId=good-run' });
    expect(byId.json()).toEqual(answer.json());
  });

  it("shows the run's warnings and why each turned-down k was", async () => {
    await storeRun('short-run');
    const warning =
      'asked for 3 clusters, made 2: k = 3 made a cluster of 0.25 % of the sample, under the minimum of 1 %';
    await insertRows(test.store, 'job_runs', [
      runRow('short-run', 'succeeded', finishedAt + 1000, {
        k: 2,
        kChosenBy: 'param',
        minClusterShare: 0.01,
        tried: [
          {
            k: 3,
            silhouette: null,
            inertia: 9.123,
            shortfall: { k: 3, clusters: 3, smallestShare: 0.0025123, inertia: 9.123 },
          },
          { k: 2, silhouette: 0.71, inertia: 12.5 },
        ],
        warnings: [warning],
      }),
    ]);
    const answer = await app.inject({ method: 'GET', url: '/v1/reports/clusters?runId=short-run' });
    expect(answer.statusCode).toBe(200);
    const report = clustersReportSchema.parse(answer.json());
    expect(report).toMatchObject({ runId: 'short-run', k: 2, kChosenBy: 'param' });
    expect(report.minClusterShare).toBe(0.01);
    expect(report.warnings).toEqual([warning]);
    expect(report.tried).toEqual([
      {
        k: 3,
        silhouette: null,
        inertia: 9.12,
        shortfall: { clusters: 3, smallestShare: 0.0025 },
      },
      { k: 2, silhouette: 0.71, inertia: 12.5 },
    ]);
  });

  it('is documented in the OpenAPI document, with the common error statuses', async () => {
    const docs = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(docs.statusCode).toBe(200);
    interface Schema {
      properties?: Record<string, Schema>;
      items?: Schema;
      required?: string[];
    }
    const { paths } = docs.json<{
      paths: Record<
        string,
        { get?: { responses?: Record<string, { content?: Record<string, { schema: Schema }> }> } }
      >;
    }>();
    const responses = paths['/v1/reports/clusters']?.get?.responses ?? {};
    // Its own answers (200, 404 no run, 409 a run that did not succeed, 503 while the heavy
    // queries' queue is full) and those the app foundation gives every read route with a
    // query: 400, 401, 403 and 429.
    expect(Object.keys(responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '409',
      '429',
      '503',
    ]);
    const report = responses['200']?.content?.['application/json']?.schema;
    expect(report?.required).toEqual(expect.arrayContaining(['warnings', 'minClusterShare']));
    expect(report?.properties?.warnings?.items).toMatchObject({ type: 'string' });
    const tried = report?.properties?.tried?.items;
    expect(Object.keys(tried?.properties ?? {})).toContain('shortfall');
    expect(Object.keys(tried?.properties?.shortfall?.properties ?? {}).sort()).toEqual([
      'clusters',
      'smallestShare',
    ]);
  });
});
