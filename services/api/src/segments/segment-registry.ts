import { randomBytes } from 'node:crypto';
import { HttpError } from '@rapport/http';
import { isoOf, type Segment } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import {
  checkReferences,
  checkStatement,
  membershipRuleOrRefuse,
  parseRuleOrRefuse,
} from './rule-checks.js';
import {
  batchOnlyRule,
  batchOnlySegments,
  evaluationAnswer,
  insertDefinition,
  readDefinitionVersion,
  readLatestEvaluations,
  readNewestDefinition,
  readNewestDefinitions,
  readEvaluableDefinitions,
  referrersOf,
  type SegmentEvaluation,
  type StatementLimits,
  type StoredDefinition,
} from '@rapport/segments';
import { WriteLock } from './write-lock.js';

/** Ids that would be read as the static routes beside `/v1/segments/:id`. */
const RESERVED_IDS = new Set(['fields', 'preview']);

export interface SegmentInput {
  name: string;
  description: string;
  rule: unknown;
  /** Consent purposes every member must have granted. */
  requiresConsent: string[];
}

const newId = () => `seg_${randomBytes(6).toString('hex')}`;

function toSegment(
  definition: StoredDefinition,
  evaluation: SegmentEvaluation | undefined,
  batchOnly: ReadonlyMap<string, string>,
): Segment {
  const reason = batchOnly.get(definition.id) ?? null;
  return {
    realtime: reason === null,
    batchOnlyReason: reason,
    id: definition.id,
    version: definition.version,
    name: definition.name,
    description: definition.description,
    rule: JSON.parse(definition.rule) as unknown,
    requiresConsent: [...(definition.requiresConsent ?? [])],
    createdAt: isoOf(definition.createdAt),
    updatedAt: isoOf(definition.updatedAt),
    lastEvaluation: evaluation ? evaluationAnswer(evaluation) : null,
  };
}

const notFound = (segmentId: string) => new HttpError(404, `no segment "${segmentId}"`);

/**
 * Segment definitions: every change adds a version, a delete adds one marked deleted. Writes
 * run one at a time in this process, so the version read is still the newest when the next
 * is written.
 */
export class SegmentRegistry {
  private readonly lock = new WriteLock();
  private readonly now: () => number;

  constructor(
    private readonly deps: { store: Store; limits: StatementLimits; now?: () => number },
  ) {
    this.now = deps.now ?? Date.now;
  }

  async list(): Promise<Segment[]> {
    const { store } = this.deps;
    const [definitions, evaluations] = await Promise.all([
      readNewestDefinitions(store),
      readLatestEvaluations(store),
    ]);
    const batchOnly = await this.batchOnly();
    return definitions
      .filter((definition) => !definition.deleted)
      .map((definition) => toSegment(definition, evaluations.get(definition.id), batchOnly));
  }

  /** The current version of a live segment; 404 for an unknown or deleted one. */
  async live(segmentId: string): Promise<StoredDefinition> {
    const newest = await readNewestDefinition(this.deps.store, segmentId);
    if (!newest || newest.deleted) throw notFound(segmentId);
    return newest;
  }

  /** A live segment as it stands, or one of its earlier versions. */
  async get(segmentId: string, version?: number): Promise<Segment> {
    const { store } = this.deps;
    const [newest, evaluations] = await Promise.all([
      this.live(segmentId),
      readLatestEvaluations(store, [segmentId]),
    ]);
    const evaluation = evaluations.get(segmentId);
    const batchOnly = await this.batchOnly();
    if (version === undefined || version === newest.version) {
      return toSegment(newest, evaluation, batchOnly);
    }
    const earlier = await readDefinitionVersion(store, segmentId, version);
    if (!earlier || earlier.deleted) {
      throw new HttpError(404, `segment "${segmentId}" has no version ${version}`);
    }
    const reason = batchOnlyRule(parseRuleOrRefuse(JSON.parse(earlier.rule) as unknown));
    return toSegment(
      earlier,
      evaluation,
      new Map(reason === undefined ? [] : [[segmentId, reason]]),
    );
  }

  /** The batch-only segments as they stand, with why. */
  private async batchOnly(): Promise<Map<string, string>> {
    return batchOnlySegments(await readEvaluableDefinitions(this.deps.store));
  }

  async create(input: SegmentInput & { id?: string | undefined }): Promise<Segment> {
    const rule = parseRuleOrRefuse(input.rule);
    await checkStatement(membershipRuleOrRefuse(rule, input.requiresConsent), this.deps.limits);
    if (input.id !== undefined && RESERVED_IDS.has(input.id)) {
      throw new HttpError(400, `"${input.id}" is reserved; choose another id`, {}, [
        { path: '/id', message: 'reserved' },
      ]);
    }
    return this.lock.run(async () => {
      const { store } = this.deps;
      const definitions = await readNewestDefinitions(store);
      const taken = new Map(definitions.map((definition) => [definition.id, definition]));
      let id = input.id;
      if (id === undefined) {
        do id = newId();
        while (taken.has(id));
      }
      const existing = taken.get(id);
      if (existing) {
        // Ids are never reused: memberships, evaluations and published changes carry them.
        throw new HttpError(
          409,
          existing.deleted
            ? `segment id "${id}" belonged to a segment deleted at ${isoOf(existing.updatedAt)}; ids are not reused`
            : `segment "${id}" exists; change it with PUT /v1/segments/${id}`,
        );
      }
      checkReferences({ rule, segmentId: id, definitions });
      const now = this.now();
      const definition: StoredDefinition = {
        id,
        version: 1,
        name: input.name,
        description: input.description,
        rule: JSON.stringify(rule),
        requiresConsent: input.requiresConsent,
        deleted: false,
        createdAt: now,
        updatedAt: now,
      };
      await insertDefinition(store, definition);
      return toSegment(definition, undefined, await this.batchOnly());
    });
  }

  async update(
    segmentId: string,
    input: Omit<SegmentInput, 'requiresConsent'> & {
      /** Absent: the purposes the current version requires. */
      requiresConsent?: string[] | undefined;
      expectedVersion?: number | undefined;
    },
  ): Promise<Segment> {
    const rule = parseRuleOrRefuse(input.rule);
    return this.lock.run(async () => {
      const { store } = this.deps;
      const definitions = await readNewestDefinitions(store);
      const current = definitions.find((definition) => definition.id === segmentId);
      if (!current || current.deleted) throw notFound(segmentId);
      const requiresConsent = input.requiresConsent ?? [...(current.requiresConsent ?? [])];
      await checkStatement(membershipRuleOrRefuse(rule, requiresConsent), this.deps.limits);
      if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) {
        throw new HttpError(
          409,
          `segment "${segmentId}" is at version ${current.version}, not ${input.expectedVersion}; ` +
            'read it again and reapply the change',
        );
      }
      checkReferences({ rule, segmentId, definitions });
      const definition: StoredDefinition = {
        ...current,
        version: current.version + 1,
        name: input.name,
        description: input.description,
        rule: JSON.stringify(rule),
        requiresConsent,
        updatedAt: this.now(),
      };
      await insertDefinition(store, definition);
      const evaluations = await readLatestEvaluations(store, [segmentId]);
      return toSegment(definition, evaluations.get(segmentId), await this.batchOnly());
    });
  }

  /** Adds a version marked deleted; refused while live segments refer to this one. */
  async remove(segmentId: string): Promise<void> {
    await this.lock.run(async () => {
      const { store } = this.deps;
      const definitions = await readNewestDefinitions(store);
      const current = definitions.find((definition) => definition.id === segmentId);
      if (!current || current.deleted) throw notFound(segmentId);
      const referrers = referrersOf(definitions, segmentId);
      if (referrers.length > 0) {
        throw new HttpError(
          409,
          `segment "${segmentId}" is used by ${referrers.map((id) => `"${id}"`).join(', ')}; ` +
            'change or delete those first',
        );
      }
      // The deleted version keeps the name and rule, so history still reads well.
      await insertDefinition(store, {
        ...current,
        version: current.version + 1,
        deleted: true,
        updatedAt: this.now(),
      });
    });
  }
}
