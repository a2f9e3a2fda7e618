import type { Store } from '@rapport/store';

/** One version of a segment's definition, as stored. */
export interface StoredDefinition {
  id: string;
  version: number;
  name: string;
  description: string;
  /** The rule as JSON text. */
  rule: string;
  /** Consent purposes a member must have granted (see membershipRule); none when absent. */
  requiresConsent?: readonly string[];
  deleted: boolean;
  /** When version 1 was saved (epoch ms). */
  createdAt: number;
  /** When this version was saved (epoch ms). */
  updatedAt: number;
}

interface DefinitionRow {
  segment_id: string;
  version: number;
  name: string;
  description: string;
  rule: string;
  requires_consent: string[];
  deleted: number;
  first_saved: number;
  saved: number;
}

const toDefinition = (row: DefinitionRow): StoredDefinition => ({
  id: row.segment_id,
  version: Number(row.version),
  name: row.name,
  description: row.description,
  rule: row.rule,
  requiresConsent: row.requires_consent,
  deleted: Number(row.deleted) === 1,
  createdAt: Number(row.first_saved),
  updatedAt: Number(row.saved),
});

// The newest version of each segment, with the time its first version was saved. Aliases
// differ from the column names: an alias named like a column would stand for it inside the
// aggregates.
const NEWEST = (where: string) => `
SELECT segment_id AS id, max(version) AS newest,
       argMax(name, version) AS newest_name, argMax(description, version) AS newest_description,
       argMax(rule, version) AS newest_rule, argMax(deleted, version) AS newest_deleted,
       argMax(requires_consent, version) AS newest_requires_consent,
       toUnixTimestamp64Milli(argMin(created_at, version)) AS first_saved,
       toUnixTimestamp64Milli(argMax(created_at, version)) AS newest_saved
FROM segment_definitions
${where}
GROUP BY segment_id
ORDER BY segment_id`;

interface NewestRow {
  id: string;
  newest: number;
  newest_name: string;
  newest_description: string;
  newest_rule: string;
  newest_deleted: number;
  newest_requires_consent: string[];
  first_saved: number;
  newest_saved: number;
}

const fromNewest = (row: NewestRow): StoredDefinition => ({
  id: row.id,
  version: Number(row.newest),
  name: row.newest_name,
  description: row.newest_description,
  rule: row.newest_rule,
  requiresConsent: row.newest_requires_consent,
  deleted: Number(row.newest_deleted) === 1,
  createdAt: Number(row.first_saved),
  updatedAt: Number(row.newest_saved),
});

/** The newest version of every segment ever defined, deleted ones included, by id. */
export async function readNewestDefinitions(store: Store): Promise<StoredDefinition[]> {
  const rows = await store.query<NewestRow>(NEWEST(''));
  return rows.map(fromNewest);
}

/** The newest version of one segment (deleted or not), or undefined if the id was never used. */
export async function readNewestDefinition(
  store: Store,
  segmentId: string,
): Promise<StoredDefinition | undefined> {
  const [row] = await store.query<NewestRow>(NEWEST('WHERE segment_id = {segmentId:String}'), {
    segmentId,
  });
  return row && fromNewest(row);
}

/** One version of a segment, or undefined when it has no such version. */
export async function readDefinitionVersion(
  store: Store,
  segmentId: string,
  version: number,
): Promise<StoredDefinition | undefined> {
  const [row] = await store.query<DefinitionRow>(
    `SELECT segment_id, version, name, description, rule, requires_consent, deleted,
            toUnixTimestamp64Milli(
              (SELECT min(created_at) FROM segment_definitions
               WHERE segment_id = {segmentId:String} AND version = 1)) AS first_saved,
            toUnixTimestamp64Milli(created_at) AS saved
     FROM segment_definitions
     WHERE segment_id = {segmentId:String} AND version = {version:UInt32}
     LIMIT 1`,
    { segmentId, version },
  );
  return row && toDefinition(row);
}

/** Adds one version; the caller makes sure it is the next one (see WriteLock). */
export async function insertDefinition(store: Store, definition: StoredDefinition) {
  const row = {
    segment_id: definition.id,
    version: definition.version,
    name: definition.name,
    description: definition.description,
    rule: definition.rule,
    requires_consent: definition.requiresConsent ?? [],
    deleted: definition.deleted ? 1 : 0,
    // Epoch milliseconds: what DateTime64(3) reads from a JSON number.
    created_at: definition.updatedAt,
  };
  await store.insertJsonLines('segment_definitions', Buffer.from(JSON.stringify(row)));
}
