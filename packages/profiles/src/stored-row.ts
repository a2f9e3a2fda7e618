import type { ProfileSegment } from '@rapport/schemas';
import { z } from 'zod';

/** The job runs whose results a row holds ('' where the job had none). */
export interface RowRuns {
  rfm: string;
  clv: string;
  clusters: string;
}

/** A profile's stored row, found current: what the profile read shows, as one object. */
export interface StoredRow {
  /** Every column of the row, as the activity and result parts of a profile read name them. */
  columns: Record<string, unknown>;
  traits: Record<string, string>;
  anonymousIds: string[];
  runs: RowRuns;
  /** Its open segment memberships (names and times blank), when the mirror held them current. */
  segments?: ProfileSegment[];
}

/** What a read needs of a payload; the rest is checked as the profile's parts (profile-row.ts). */
const payloadSchema = z.looseObject({
  anonymous_ids: z.array(z.string()),
  traits: z.record(z.string(), z.string()),
  links: z.coerce.number(),
  // Rows written before it was kept have none: they are checked as behind and rewritten.
  customer_links: z.coerce.number().optional(),
  events: z.coerce.number(),
  last_received_ms: z.coerce.number(),
  rfm_run: z.string(),
  clv_run: z.string(),
  clusters_run: z.string(),
});

export type RowColumns = z.infer<typeof payloadSchema> & Record<string, unknown>;

/** A stored row's payload, checked, with the fields computed at the read. */
export function columnsOf(payload: string, atRead: Record<string, unknown>): RowColumns {
  return { ...payloadSchema.parse(JSON.parse(payload)), ...atRead };
}

export function storedRowOf(columns: RowColumns): StoredRow {
  return {
    columns,
    traits: columns.traits,
    anonymousIds: columns.anonymous_ids,
    runs: { rfm: columns.rfm_run, clv: columns.clv_run, clusters: columns.clusters_run },
  };
}
