import { createApp, QueryGate, type App } from '@rapport/http';
import { createLogger, Metrics } from '@rapport/observability';
import { StoreError } from '@rapport/store';
import { openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatestRuns } from '@rapport/runs';
import { heavyReports } from './heavy-reports.js';
import { reportRoutes } from './routes.js';

// Reports take a turn among the heavy queries, like previews and exports: while the gate is
// full every report waits, and past the wait is refused with 503 and Retry-After; admitted,
// it reads through the gate's memory limit.

let test: TestStore;
let app: App;
const gate = new QueryGate({ concurrency: 1, queueMs: 200, maxMemoryBytes: 1 << 30 });

const MARKETING = ['overview', 'lifecycle', 'channels', 'campaigns', 'cohorts'];
const OF_RUNS = ['rfm', 'clv', 'clusters'];

beforeAll(async () => {
  test = await openTestStore();
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
    latest: new LatestRuns(test.store, 0),
    currency: 'USD',
    profiles: { lifecycle: { lapsedAfterDays: 90 } },
    heavyQueries: gate,
  });
  await app.ready();
}, 60_000);
afterAll(async () => {
  await app.close();
  await test.dispose();
});

describe('reports among the heavy queries', () => {
  it('refuses every report with 503 and Retry-After while the gate stays full', async () => {
    const release = await gate.acquire();
    try {
      for (const report of [...MARKETING, ...OF_RUNS]) {
        const answer = await app.inject({ method: 'GET', url: `/v1/reports/${report}` });
        expect(answer.statusCode, report).toBe(503);
        expect(answer.headers['retry-after'], report).toBe('1');
        expect(answer.json(), report).toMatchObject({
          message: expect.stringMatching(/too many heavy queries/),
        });
      }
    } finally {
      release();
    }
  });

  it('answers once a turn is free, its queries carrying the gate’s settings', async () => {
    for (const report of MARKETING) {
      const answer = await app.inject({ method: 'GET', url: `/v1/reports/${report}` });
      expect(answer.statusCode, `${report}: ${answer.body}`).toBe(200);
    }
    // No run yet: the reports of runs say so, as without the gate.
    for (const report of OF_RUNS) {
      const answer = await app.inject({ method: 'GET', url: `/v1/reports/${report}` });
      expect(answer.statusCode, `${report}: ${answer.body}`).toBe(404);
    }
  });

  it('waits in line rather than failing when a turn frees up within the wait', async () => {
    const release = await gate.acquire();
    const waiting = app.inject({ method: 'GET', url: '/v1/reports/overview' });
    setTimeout(release, 50);
    expect((await waiting).statusCode).toBe(200);
  });

  it('holds a report’s queries to the memory limit', async () => {
    // 2 M numbers gathered in one array take far more than 4 MiB.
    const big = (store: typeof test.store) =>
      store.query<{ n: number }>('SELECT length(groupArray(number)) AS n FROM numbers(2000000)');
    const tight = heavyReports(
      test.store,
      new QueryGate({ concurrency: 1, queueMs: 200, maxMemoryBytes: 4 << 20 }),
    );
    await expect(tight(big)).rejects.toMatchObject({
      name: StoreError.name,
      code: 'overloaded',
      message: expect.stringMatching(/memory limit/i),
    });
    const roomy = heavyReports(test.store, gate);
    expect(await roomy(big)).toEqual([{ n: 2_000_000 }]);
  });

  it('runs a report’s queries on the gate’s threads, at low priority', async () => {
    const settings = (store: typeof test.store) =>
      store.query<{ threads: string; priority: string }>(
        "SELECT toString(getSetting('max_threads')) AS threads, toString(getSetting('os_thread_priority')) AS priority",
      );
    const options = { concurrency: 1, queueMs: 200, maxMemoryBytes: 1 << 30 };
    const three = heavyReports(test.store, new QueryGate({ ...options, threads: 3 }));
    expect(await three(settings)).toEqual([{ threads: '3', priority: '19' }]);
    // 0: the store's own default, a thread per core.
    const perCore = heavyReports(test.store, new QueryGate({ ...options, threads: 0 }));
    const [own] = await settings(test.store);
    expect(await perCore(settings)).toEqual([{ threads: own?.threads, priority: '19' }]);
    expect(own?.threads).not.toBe('3');
  });
});
