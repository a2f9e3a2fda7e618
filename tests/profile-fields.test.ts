import { parse } from 'csv-parse/sync';
import { PROFILE_FIELDS, type ProfileField } from '@rapport/profiles';
import { RunStore } from '@rapport/runs';
import type { FieldCondition, Profile, SegmentRule } from '@rapport/schemas';
import { compileRule, matchingProfilesSql } from '@rapport/segments';
import { currencyRatesToUsd, generateEvents } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, sendAll } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

// Every profile field has one value, wherever it is seen: in the profile API, in a rule (on a
// segments run's snapshot and computed live), and in a members CSV export. Checked for every
// profile of generated data from several seeds: identified customers and visitors, refunds,
// orders in other currencies, visitors who identify later, and the results of job runs.

const SEEDS = [3, 17, 42];
const DAY = 86_400_000;
let engine: TestEngine;
let runId: string;
let snapshotAt: number;
/** The members CSV of a segment everyone is in, with every field: profile key → cells. */
const exported = new Map<string, Record<string, string>>();

beforeAll(async () => {
  engine = await startTestEngine({
    RAPPORT_CURRENCY_RATES: currencyRatesToUsd(['USD', 'EUR', 'GBP', 'JPY']),
  });
  const end = Date.now() - DAY;
  for (const seed of SEEDS) {
    await sendAll(
      engine,
      generateEvents({
        seed,
        customers: 120,
        end,
        start: end - 400 * DAY,
        identifyRate: 0.5,
        buyerRate: 0.8,
        refundRate: 0.3,
        currencies: { USD: 0.5, EUR: 0.3, GBP: 0.1, JPY: 0.1 },
      }),
    );
  }
  for (const job of ['rfm', 'clusters']) {
    const run = await runJob(engine, job);
    expect(run.error, `${job} run`).toBeNull();
  }
  // CLV may find too few repeat buyers in so little data to score anyone: its fields are then
  // null everywhere, which the comparison below checks as well.
  const clv = await runJob(engine, 'clv', { allowEmpty: true });
  expect(clv.error, 'clv run').toBeNull();
  const everyone = await engine.app.inject({
    method: 'POST',
    url: '/v1/segments',
    payload: {
      id: 'everyone',
      name: 'Everyone',
      rule: { type: 'field', field: 'events', op: 'gte', value: 0 },
    },
  });
  expect(everyone.statusCode).toBe(201);
  const segments = await runJob(engine, 'segments');
  expect(segments.error).toBeNull();
  runId = segments.runId;
  const [snapshot] = await engine.store.query<{ at: number }>(
    `SELECT toUnixTimestamp64Milli(any(computed_at)) AS at FROM profile_features
     WHERE run_id = {runId:String}`,
    { runId },
  );
  snapshotAt = Number(snapshot?.at);
  const csv = await engine.app.inject({
    url: `/v1/segments/everyone/members?fields=${PROFILE_FIELDS.map((f) => f.name).join(',')}`,
    headers: { accept: 'text/csv' },
  });
  expect(csv.statusCode, csv.body.slice(0, 300)).toBe(200);
  const rows: Record<string, string>[] = parse(csv.body, {
    columns: true,
    record_delimiter: '\r\n',
  });
  for (const row of rows) {
    const key = row.customer_id ? `c:${row.customer_id}` : `a:${row.anonymous_id}`;
    exported.set(key, row);
  }
}, 300_000);

afterAll(async () => {
  await engine.dispose();
});

async function profileOf(key: string): Promise<Profile> {
  const [kind, id] = [key.slice(0, 2), encodeURIComponent(key.slice(2))];
  const response = await engine.app.inject({
    url: kind === 'c:' ? `/v1/customers/${id}` : `/v1/visitors/${id}`,
  });
  expect(response.statusCode, `${key}: ${response.body.slice(0, 200)}`).toBe(200);
  return response.json<Profile>();
}

/** A condition that holds exactly when the field has this value (lists: holds every element). */
function conditionsFor(field: ProfileField, value: unknown): FieldCondition[] {
  const at = (op: FieldCondition['op'], v?: FieldCondition['value']): FieldCondition => ({
    type: 'field',
    field: field.name,
    op,
    ...(v === undefined ? {} : { value: v }),
  });
  if (value === null) return [at('notExists')];
  switch (field.type) {
    case 'time': {
      const iso = new Date(value as number).toISOString();
      return [at('between', [iso, iso])];
    }
    case 'list':
      return (value as string[]).map((item) => at('includes', item));
    default:
      return [at('eq', value as string | number | boolean)];
  }
}

const latestRun = async (job: string) =>
  (await new RunStore(engine.store).latestSucceeded(job))?.runId ?? '';

/** Whether a rule matches the profile, on the run's snapshot or with fields computed live. */
async function matches(rule: SegmentRule, key: string, source: 'snapshot' | 'live') {
  const compiled = compileRule(rule, { now: snapshotAt });
  const rows = await engine.store.query<{ profile_key: string }>(
    `SELECT profile_key FROM (${matchingProfilesSql(compiled.where, source)})
     WHERE profile_key = {key:String}`,
    {
      ...compiled.params,
      key,
      featuresRun: runId,
      runId: '',
      now: snapshotAt,
      lapsedMs: 90 * DAY,
      rfmRun: await latestRun('rfm'),
      clvRun: await latestRun('clv'),
      clustersRun: await latestRun('clusters'),
    },
  );
  return rows.length === 1;
}

/** A field's value as the members CSV writes it. */
function asCell(field: ProfileField, value: unknown): string {
  if (value === null) return '';
  if (field.type === 'time') return new Date(value as number).toISOString();
  if (Array.isArray(value)) return value.join(';');
  if (typeof value === 'object') return JSON.stringify(value);
  return `${value as string | number | boolean}`;
}

describe('one value per profile field', () => {
  it('covers a data set with what makes fields differ', () => {
    const rows = [...exported.values()];
    expect(rows.length).toBeGreaterThan(200);
    expect(rows.some((row) => row.customer_id === '')).toBe(true);
    expect(rows.some((row) => Number(row.refunds) > 0)).toBe(true);
    expect(rows.some((row) => row['rfm.segment'] !== '')).toBe(true);
    expect(rows.some((row) => row.cluster !== '')).toBe(true);
    // Some amounts need rounding to cents: the case that used to differ.
    expect(rows.some((row) => /\.\d{2}$/.test(row.averageOrderValue ?? ''))).toBe(true);
  });

  it('is the same in the profile API, in rules on the snapshot and live, and in the CSV export', async () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const [key, cells] of exported) {
      const profile = await profileOf(key);
      const conditions: FieldCondition[] = [];
      for (const field of PROFILE_FIELDS) {
        const value = field.inProfile(profile);
        if (asCell(field, value) !== cells[field.name]) {
          mismatches.push(
            `${key} ${field.name}: API ${asCell(field, value)}, CSV ${cells[field.name]}`,
          );
        }
        conditions.push(...conditionsFor(field, value));
      }
      const rule: SegmentRule = { type: 'and', rules: conditions };
      // Live rules compute every profile's fields: checked on every tenth profile.
      const sources =
        checked++ % 10 === 0 ? (['snapshot', 'live'] as const) : (['snapshot'] as const);
      for (const source of sources) {
        if (await matches(rule, key, source)) continue;
        // Name the fields a rule sees otherwise.
        for (const condition of conditions) {
          if (!(await matches(condition, key, source))) {
            mismatches.push(
              `${key} ${condition.field} (${source} rule): ${JSON.stringify(condition)}`,
            );
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  }, 300_000);
});
