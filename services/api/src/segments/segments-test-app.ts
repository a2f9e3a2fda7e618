import { InProcessBus } from '@rapport/bus';
import { loadConfig } from '@rapport/config';
import { createApp, type App } from '@rapport/http';
import { createLogger, Metrics } from '@rapport/observability';
import { customerKeyOf } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { insertRows, openTestStore } from '@rapport/store/testing';
import { apiPlugin } from '../plugin.js';
import { createProfiles } from '../profiles/create-profiles.js';
import type { LatestRuns } from '@rapport/runs';

export interface SegmentsTestApp {
  app: App;
  store: Store;
  latest: LatestRuns;
  dispose(): Promise<void>;
}

/** The query API on a fresh embedded store, for tests; `apiKeys` as RAPPORT_API_KEYS takes them. */
export async function openSegmentsTestApp(
  options: { apiKeys?: string; logLevel?: string } = {},
): Promise<SegmentsTestApp> {
  const testStore = await openTestStore({ readConnections: 2 });
  const { store } = testStore;
  const config = loadConfig({
    RAPPORT_DATA_DIR: testStore.dir,
    RAPPORT_LOG_LEVEL: 'silent',
    ...(options.apiKeys === undefined ? {} : { RAPPORT_API_KEYS: options.apiKeys }),
  });
  const metrics = new Metrics();
  const { latest, profiles } = createProfiles({ store, config, metrics, cacheBytes: 0 });
  const app = await createApp({
    config,
    logger: createLogger({ level: options.logLevel ?? 'silent' }),
    metrics,
    readiness: [],
    title: 'test',
  });
  await app.register(apiPlugin, {
    store,
    bus: new InProcessBus(),
    profiles,
    latest,
    currency: config.ingest.reportingCurrency,
  });
  await app.ready();
  return {
    app,
    store,
    latest,
    dispose: async () => {
      await app.close();
      await testStore.dispose();
    },
  };
}

/** A stored event row with defaults (see `events`), keyed by customer or anonymous id. */
export function eventRow(input: {
  id: string;
  type: string;
  at: number;
  customerId?: string;
  anonymousId?: string;
  amount?: number;
  properties?: Record<string, unknown>;
  channel?: string;
}) {
  return {
    event_id: input.id,
    type: input.type,
    customer_key: customerKeyOf(
      input.customerId
        ? { customerId: input.customerId }
        : { anonymousId: input.anonymousId ?? '' },
    ),
    customer_id: input.customerId ?? '',
    anonymous_id: input.anonymousId ?? '',
    timestamp: input.at,
    original_timestamp: input.at,
    sent_at: null,
    received_at: input.at,
    channel: input.channel ?? 'web',
    order_id: input.type === 'purchase' ? input.id : '',
    amount: input.amount ?? 0,
    currency: input.amount ? 'USD' : '',
    amount_original: input.amount ?? 0,
    context: '{}',
    properties: JSON.stringify(input.properties ?? {}),
  };
}

/** Records a succeeded run of a job, as the job runner would. */
export async function recordSucceededRun(
  store: Store,
  input: { job: string; runId: string; finishedAt: number },
) {
  await insertRows(store, 'job_runs', [
    {
      run_id: input.runId,
      job: input.job,
      params: '{}',
      trigger: 'manual',
      status: 'succeeded',
      started_at: input.finishedAt - 1000,
      finished_at: input.finishedAt,
      rows_written: 0,
      phases: '[]',
      summary: '{}',
      error: '',
      updated_at: input.finishedAt,
    },
  ]);
}
