import type { SegmentRule } from '@rapport/schemas';
import { assertNever } from '../assert-never.js';
import type { EvaluableDefinition } from '../store/evaluation-order.js';

/** Event fields whose filters parse each event's JSON: properties and context. */
const JSON_FIELD = /^(properties|context)\./;

/**
 * Why a rule is evaluated by the segments job only, if it is: it filters events on their
 * properties or context (JSON) with no `within.lastDays` window. Per batch that would parse
 * every such event the touched profiles ever sent — a customer's whole history, again at
 * each of their events — where a window bounds it to recent events.
 */
export function batchOnlyRule(rule: SegmentRule): string | undefined {
  switch (rule.type) {
    case 'and':
    case 'or':
      return rule.rules.map(batchOnlyRule).find((reason) => reason !== undefined);
    case 'not':
      return batchOnlyRule(rule.rule);
    case 'event': {
      const windowed = rule.within !== undefined && 'lastDays' in rule.within;
      const json = (rule.where ?? []).find((filter) => JSON_FIELD.test(filter.field));
      if (json === undefined || windowed) return undefined;
      return (
        `its "${rule.event}" condition filters on ${json.field} over all-time events: ` +
        'evaluated by the segments job only (add within.lastDays to follow each event)'
      );
    }
    case 'field':
    case 'segment':
      return undefined;
    default:
      return assertNever(rule);
  }
}

/**
 * The batch-only segments among these, with why: those whose rule is (batchOnlyRule), and
 * those referring to one (they would read membership that moves only with the job).
 */
export function batchOnlySegments(
  definitions: readonly EvaluableDefinition[],
): Map<string, string> {
  const byId = new Map(definitions.map((definition) => [definition.id, definition]));
  const reasons = new Map<string, string>();
  const visiting = new Set<string>();
  const reasonOf = (definition: EvaluableDefinition): string | undefined => {
    if (reasons.has(definition.id)) return reasons.get(definition.id);
    if (definition.rule === null || visiting.has(definition.id)) return undefined;
    visiting.add(definition.id);
    let reason = batchOnlyRule(definition.rule);
    for (const id of definition.references) {
      if (reason !== undefined) break;
      const target = byId.get(id);
      if (target && reasonOf(target) !== undefined) {
        reason = `it refers to segment "${id}", which is batch-only`;
      }
    }
    visiting.delete(definition.id);
    if (reason !== undefined) reasons.set(definition.id, reason);
    return reason;
  };
  definitions.forEach(reasonOf);
  return reasons;
}
