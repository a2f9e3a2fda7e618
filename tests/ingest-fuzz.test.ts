import type { IngestResponse } from '@rapport/schemas';
import { eventCountOf, ingestBody, toJsonBody } from '@rapport/testkit/arbitraries';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine({ RAPPORT_CURRENCY_RATES: 'EUR=1.1' });
});
afterAll(() => engine.dispose());

// A fixed seed: the same bodies on every run. `npm run bench:fuzz` runs longer, seeds vary.
const SEED = 20_261_201;

describe('POST /v1/events under property-based fuzzing', () => {
  it('answers every body with 2xx or 4xx, and answers for every event of it', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(ingestBody, async (body) => {
        const response = await engine.app.inject({
          method: 'POST',
          url: '/v1/events',
          headers: { 'content-type': 'application/json' },
          payload: toJsonBody(body),
        });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode).toBeLessThan(500);
        const events = eventCountOf(body);
        if (events !== undefined && [200, 400].includes(response.statusCode)) {
          const answer = response.json<IngestResponse>();
          if ('accepted' in answer) {
            expect(answer.accepted + answer.duplicates + answer.rejected.length).toBe(events);
            for (const rejection of answer.rejected) {
              expect(typeof rejection.path).toBe('string');
              expect(rejection.message.length).toBeGreaterThan(0);
            }
          }
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    const ready = await engine.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
  }, 120_000);
});
