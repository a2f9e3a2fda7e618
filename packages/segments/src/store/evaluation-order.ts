import type { SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { membershipRule } from '../consent.js';
import { parseRule } from '../parse-rule.js';
import { referencedSegments } from '../referenced-segments.js';
import { readNewestDefinitions } from './definitions.js';

/**
 * A segment as a run evaluates it: the newest version of its definition, parsed, its rule
 * being the membership rule (with the consent it requires).
 */
export interface EvaluableDefinition {
  id: string;
  version: number;
  name: string;
  deleted: boolean;
  rule: SegmentRule | null;
  /** Why the stored rule cannot be evaluated (it no longer parses), if so. */
  problem?: string;
  references: string[];
}

/** The newest version of every segment ever defined, deleted ones included, parsed. */
export async function readEvaluableDefinitions(store: Store): Promise<EvaluableDefinition[]> {
  const definitions = await readNewestDefinitions(store);
  return definitions.map((definition) => {
    const base = {
      id: definition.id,
      version: definition.version,
      name: definition.name,
      deleted: definition.deleted,
    };
    if (base.deleted) return { ...base, rule: null, references: [] };
    const parsed = parseRule(JSON.parse(definition.rule) as unknown);
    if (!parsed.ok) {
      const [first] = parsed.issues;
      return {
        ...base,
        rule: null,
        references: [],
        problem: `the stored rule is invalid: ${first?.path ?? ''} ${first?.message ?? ''}`.trim(),
      };
    }
    return {
      ...base,
      rule: membershipRule(parsed.rule, definition.requiresConsent),
      references: referencedSegments(parsed.rule),
    };
  });
}

/**
 * Orders segments so that each comes after the segments its rule refers to. Segments in a
 * cycle, or referring to one that is missing, deleted or unusable, are returned apart with why.
 */
export function evaluationOrder(definitions: readonly EvaluableDefinition[]): {
  ordered: EvaluableDefinition[];
  skipped: { id: string; reason: string }[];
} {
  const byId = new Map(definitions.map((definition) => [definition.id, definition]));
  const ordered: EvaluableDefinition[] = [];
  const skipped: { id: string; reason: string }[] = [];
  const state = new Map<string, 'visiting' | 'done' | 'skipped'>();

  const visit = (definition: EvaluableDefinition, path: string[]): boolean => {
    const seen = state.get(definition.id);
    if (seen === 'done') return true;
    if (seen === 'skipped') return false;
    if (seen === 'visiting') {
      skipped.push({
        id: definition.id,
        reason: `its rule refers back to itself: ${[...path, definition.id].join(' → ')}`,
      });
      state.set(definition.id, 'skipped');
      return false;
    }
    state.set(definition.id, 'visiting');
    for (const reference of definition.references) {
      const target = byId.get(reference);
      const fine =
        target !== undefined &&
        !target.deleted &&
        target.rule !== null &&
        visit(target, [...path, definition.id]);
      if (!fine) {
        if (state.get(definition.id) !== 'skipped') {
          skipped.push({
            id: definition.id,
            reason: `it refers to segment "${reference}", which cannot be evaluated`,
          });
          state.set(definition.id, 'skipped');
        }
        return false;
      }
    }
    state.set(definition.id, 'done');
    ordered.push(definition);
    return true;
  };

  for (const definition of definitions) {
    if (definition.deleted) {
      ordered.push(definition);
      state.set(definition.id, 'done');
    } else if (definition.rule === null) {
      skipped.push({ id: definition.id, reason: definition.problem ?? 'no rule' });
      state.set(definition.id, 'skipped');
    }
  }
  for (const definition of definitions) {
    if (!state.has(definition.id)) visit(definition, []);
  }
  return { ordered, skipped };
}
