import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@rapport/config';
import { createLogger } from '@rapport/observability';
import { migrationsDir } from '@rapport/schemas';
import { migrate, openStore } from '@rapport/store';
import { afterAll, describe, expect, it } from 'vitest';
import { createJobsService } from './jobs-service.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-jobs-service-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('rapport jobs (the scheduler as its own process)', () => {
  it('refuses to start on a schema with pending migrations, then serves job runs', async () => {
    const config = loadConfig({
      RAPPORT_DATA_DIR: dataDir,
      RAPPORT_LOG_LEVEL: 'silent',
      RAPPORT_SCHEDULE_RFM: '0 3 * * *',
    });
    const logger = createLogger({ level: 'silent' });
    await expect(createJobsService({ config, logger })).rejects.toThrow(/pending migrations/);
    const store = await openStore(config.store);
    await migrate(store, migrationsDir);
    await store.close();

    const service = await createJobsService({ config, logger });
    try {
      const listing = await service.app.inject({ url: '/v1/jobs' });
      expect(listing.json()).toMatchObject({
        jobs: [
          { name: 'rfm', schedule: '0 3 * * *', nextRunAt: expect.any(String) },
          { name: 'clv', schedule: null },
          { name: 'segments', schedule: '0 * * * *', nextRunAt: expect.any(String) },
          { name: 'clusters', schedule: null },
        ],
      });
      const started = await service.app.inject({
        method: 'POST',
        url: '/v1/jobs/rfm/runs',
        // An empty store: the run scores no one, which is published only when asked.
        payload: { asOf: '2024-12-31', allowEmpty: true },
      });
      expect(started.statusCode).toBe(202);
      const { runId } = started.json<{ runId: string }>();
      await expect
        .poll(
          async () =>
            (await service.app.inject({ url: `/v1/jobs/runs/${runId}` })).json<{ status: string }>()
              .status,
        )
        .toBe('succeeded');
      expect((await service.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await service.close();
    }
  });
});
