import { asJson, ruleArbitraries, ruleFuzzEvents } from '@rapport/testkit/rule-arbitraries';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, sendAll } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

let engine: TestEngine;
const BASES = ['fuzz-base-a', 'fuzz-base-b'];

beforeAll(async () => {
  engine = await startTestEngine();
  await sendAll(engine, ruleFuzzEvents(Date.now()));
  for (const id of BASES) {
    const answer = await post('/v1/segments', {
      id,
      name: id,
      rule: { type: 'field', field: 'orders', op: 'gte', value: 1 },
    });
    expect(answer.statusCode).toBe(201);
  }
});
afterAll(() => engine.dispose());

function post(url: string, payload: object) {
  return engine.app.inject({ method: 'POST', url, payload });
}

// A fixed seed: the same rules on every run. `npm run bench:fuzz-rules` runs longer, seeds vary.
const SEED = 20_261_202;

describe('the rule language under property-based fuzzing', () => {
  it('saves only rules its run can evaluate, on the snapshot and live, and never answers 5xx', async () => {
    const fields = (await engine.app.inject({ url: '/v1/segments/fields' })).json<{
      fields: { name: string; type: string; operators: string[]; values?: string[] }[];
    }>().fields;
    const { rule } = ruleArbitraries({ fields, segmentIds: BASES });
    const saved: { id: string; rule: unknown }[] = [];
    let generated = 0;
    await fc.assert(
      fc.asyncProperty(rule, async (raw) => {
        generated++;
        const body = asJson(raw);
        // Before the first segments run, previews compute the profile fields live.
        const preview = await post('/v1/segments/preview', { rule: body, sample: 3 });
        expect(preview.statusCode, preview.body).toBeOneOf([200, 400]);
        const create = await post('/v1/segments', { name: `fuzz ${generated}`, rule: body });
        expect(create.statusCode, create.body).toBeOneOf([201, 400]);
        // A rule is refused by both or by neither.
        expect(create.statusCode === 201, JSON.stringify(body)).toBe(preview.statusCode === 200);
        if (create.statusCode === 201)
          saved.push({ id: create.json<{ id: string }>().id, rule: body });
      }),
      { seed: SEED, numRuns: 120 },
    );
    // The generator is not vacuous: a fair share is valid, a fair share refused.
    expect(saved.length).toBeGreaterThan(generated / 5);
    expect(saved.length).toBeLessThan(generated);

    const run = await runJob(engine, 'segments');
    expect(run.status, run.error ?? '').toBe('succeeded');
    const record = (await engine.app.inject({ url: `/v1/jobs/runs/${run.runId}` })).json<{
      summary: { skipped: { id: string; reason: string }[]; segments: object; partial?: boolean };
    }>();
    // No rule that saves then fails its run.
    expect(record.summary.skipped).toEqual([]);
    expect(record.summary.partial).toBe(false);
    expect(Object.keys(record.summary.segments).sort()).toEqual(
      [...BASES, ...saved.map((segment) => segment.id)].sort(),
    );

    // After the run, previews read its snapshot.
    for (const segment of saved) {
      const preview = await post('/v1/segments/preview', { rule: segment.rule, sample: 3 });
      expect(preview.statusCode, JSON.stringify(segment.rule)).toBe(200);
      expect(preview.json<{ source: string }>().source).toBe('snapshot');
    }
  }, 600_000);
});
