import type { Store } from '@rapport/store';
import { lapsedMs, profileRowsSql } from './profile-sql.js';
import { profileRowSchema, TIME_COLUMNS, type ProfileRow } from './profile-row.js';

const replaceTimes = TIME_COLUMNS.map((column) => `toUnixTimestamp64Milli(${column}) AS ${column}`);

const CURRENT = `SELECT * REPLACE (${replaceTimes.join(', ')})
FROM (${profileRowsSql({ scope: 'one', source: 'projections' })})`;
const AS_OF = `SELECT * REPLACE (${replaceTimes.join(', ')})
FROM (${profileRowsSql({ scope: 'one', source: 'log' })})`;

/**
 * One profile's row: its fields merged over `keys` (its own key and those of the anonymous ids
 * it owns), from the projections and the given job runs, or from the log as of a time.
 */
export async function readProfileRow(
  store: Store,
  input: {
    profileKey: string;
    /** '' for a visitor. */
    customerId: string;
    keys: string[];
    /** The time the lifecycle stage is taken at (epoch ms). */
    now: number;
    lapsedAfterDays: number;
    /** Read from the event log as of this time (epoch ms). */
    asOf: number | undefined;
    rfmRun: string;
    clvRun: string;
    clustersRun: string;
  },
): Promise<ProfileRow | undefined> {
  const [raw] = await store.query(input.asOf === undefined ? CURRENT : AS_OF, {
    ...input,
    runId: '',
    lapsedMs: lapsedMs(input.lapsedAfterDays),
  });
  return raw === undefined ? undefined : profileRowSchema.parse(raw);
}
