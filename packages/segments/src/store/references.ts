import type { SegmentRule } from '@rapport/schemas';
import { parseRule } from '../parse-rule.js';
import { referencedSegments, segmentNodes } from '../referenced-segments.js';
import type { RuleIssue } from '../rule-issues.js';
import type { StoredDefinition } from './definitions.js';

/** The segments each live segment's stored rule refers to. */
function referenceGraph(definitions: readonly StoredDefinition[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const definition of definitions) {
    if (definition.deleted) continue;
    const parsed = parseRule(JSON.parse(definition.rule) as unknown);
    // A stored rule that no longer parses is not evaluated, so it links nothing.
    graph.set(definition.id, parsed.ok ? referencedSegments(parsed.rule) : []);
  }
  return graph;
}

/** A path of references from `from` to `to`, both included, if there is one. */
function pathBetween(graph: Map<string, string[]>, from: string, to: string): string[] | null {
  const seen = new Set<string>();
  const walk = (id: string): string[] | null => {
    if (id === to) return [id];
    if (seen.has(id)) return null;
    seen.add(id);
    for (const next of graph.get(id) ?? []) {
      const rest = walk(next);
      if (rest) return [id, ...rest];
    }
    return null;
  };
  return walk(from);
}

/**
 * What is wrong with the segments a rule refers to: one that does not exist or was deleted,
 * or a reference that would make segment `segmentId` depend on itself through others. Each
 * issue points at the `segment` node (a JSON Pointer within the rule).
 */
export function referenceIssues(input: {
  rule: SegmentRule;
  /** The segment the rule is for; absent for a preview. */
  segmentId?: string;
  definitions: readonly StoredDefinition[];
}): RuleIssue[] {
  const byId = new Map(input.definitions.map((definition) => [definition.id, definition]));
  const graph = referenceGraph(input.definitions);
  const nodes = segmentNodes(input.rule);
  if (input.segmentId !== undefined) {
    graph.set(
      input.segmentId,
      nodes.map((node) => node.segmentId),
    );
  }
  const issues: RuleIssue[] = [];
  for (const node of nodes) {
    const target = byId.get(node.segmentId);
    if (node.segmentId === input.segmentId) {
      issues.push({
        path: node.pointer,
        message: `this would make a cycle: ${node.segmentId} → ${node.segmentId}`,
      });
    } else if (!target) {
      issues.push({ path: node.pointer, message: `no segment "${node.segmentId}"` });
    } else if (target.deleted) {
      issues.push({ path: node.pointer, message: `segment "${node.segmentId}" was deleted` });
    } else if (input.segmentId !== undefined) {
      const cycle = pathBetween(graph, node.segmentId, input.segmentId);
      if (cycle) {
        issues.push({
          path: node.pointer,
          message: `this would make a cycle: ${[input.segmentId, ...cycle].join(' → ')}`,
        });
      }
    }
  }
  return issues;
}

/** The live segments other than `segmentId` whose rules refer to it. */
export function referrersOf(definitions: readonly StoredDefinition[], segmentId: string): string[] {
  const graph = referenceGraph(definitions);
  return [...graph]
    .filter(([id, references]) => id !== segmentId && references.includes(segmentId))
    .map(([id]) => id);
}
