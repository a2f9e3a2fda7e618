import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../job-runner.js';
import { createClustersJob } from './clusters-job.js';

const logger = pino({ level: 'silent' });
let test: TestStore;

/** Twelve anonymous visitors with one page view each, at the same time: one kind of profile. */
beforeAll(async () => {
  test = await openTestStore();
  const at = Date.now() - 3 * 86_400_000;
  await insertRows(
    test.store,
    'events',
    Array.from({ length: 12 }, (_, i) =>
      eventRow({
        anonymousId: `alike-${i}`,
        type: 'page_view',
        at,
        properties: { url: 'https://shop.example/' },
      }),
    ),
  );
}, 60_000);
afterAll(() => test.dispose());

describe('the clusters job on profiles that are all alike', () => {
  it('makes the one cluster the data holds and says why it is not the three asked for', async () => {
    const runner = new JobRunner({ store: test.store, logger, jobs: [createClustersJob()] });
    const { finished } = await runner.start('clusters', { k: 3 }, 'api');
    const record = await finished;
    expect(record).toMatchObject({ status: 'succeeded', error: null });
    expect(record.summary).toMatchObject({
      profiles: 12,
      k: 1,
      warnings: ['asked for 3 clusters, made 1: the sample has only 1 distinct profile'],
    });
    expect(record.summary.clusters).toMatchObject([{ size: 12 }]);
  });

  it('chooses by silhouette down to one cluster too, with the same warning', async () => {
    const runner = new JobRunner({ store: test.store, logger, jobs: [createClustersJob()] });
    const { finished } = await runner.start('clusters', {}, 'api');
    const record = await finished;
    expect(record.summary).toMatchObject({
      k: 1,
      kChosenBy: 'silhouette',
      warnings: ['asked for 2 to 8 clusters, made 1: the sample has only 1 distinct profile'],
    });
  });
});
