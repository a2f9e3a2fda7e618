import { HttpError, type HttpIssue } from '@rapport/http';
import type { SegmentRule } from '@rapport/schemas';
import { parseRule, referencedSegments } from '@rapport/segments';
import type { StoredDefinition } from './segment-definitions.js';

/** Issues named in the message; all of them are in `issues`. */
const SHOWN = 3;

function refusal(lead: string, issues: HttpIssue[]): HttpError {
  const listed = issues
    .slice(0, SHOWN)
    .map((issue) => `${issue.path.slice(1)}: ${issue.message}`)
    .join('; ');
  const more = issues.length > SHOWN ? ` (and ${issues.length - SHOWN} more)` : '';
  return new HttpError(400, `${lead}${listed}${more}`, {}, issues);
}

/** The rule of a request body, or a 400 pointing at every node at fault (under `/rule`). */
export function parseRuleOrRefuse(input: unknown): SegmentRule {
  const parsed = parseRule(input);
  if (parsed.ok) return parsed.rule;
  const issues = parsed.issues.map((issue) => ({
    path: `/rule${issue.path}`,
    message: issue.message,
  }));
  throw refusal('invalid rule: ', issues);
}

function assertNever(value: never): never {
  throw new Error(`unexpected rule node ${JSON.stringify(value)}`);
}

/** Every `segment` node of a rule, with its JSON Pointer in the request body. */
export function segmentNodes(
  rule: SegmentRule,
  pointer = '/rule',
): { segmentId: string; pointer: string }[] {
  switch (rule.type) {
    case 'and':
    case 'or':
      return rule.rules.flatMap((child, index) => segmentNodes(child, `${pointer}/rules/${index}`));
    case 'not':
      return segmentNodes(rule.rule, `${pointer}/rule`);
    case 'segment':
      return [{ segmentId: rule.segmentId, pointer }];
    case 'field':
    case 'event':
      return [];
    default:
      return assertNever(rule);
  }
}

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
 * Refuses (400) a rule that refers to a segment that does not exist or was deleted, or that
 * would make segment `segmentId` depend on itself through other segments.
 */
export function checkReferences(input: {
  rule: SegmentRule;
  /** The segment the rule is for; absent for a preview. */
  segmentId?: string;
  definitions: readonly StoredDefinition[];
}): void {
  const byId = new Map(input.definitions.map((definition) => [definition.id, definition]));
  const graph = referenceGraph(input.definitions);
  const nodes = segmentNodes(input.rule);
  if (input.segmentId !== undefined) {
    graph.set(
      input.segmentId,
      nodes.map((node) => node.segmentId),
    );
  }
  const issues: HttpIssue[] = [];
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
  if (issues.length > 0) throw refusal('the rule refers to segments it cannot use: ', issues);
}

/** The live segments other than `segmentId` whose rules refer to it. */
export function referrersOf(definitions: readonly StoredDefinition[], segmentId: string): string[] {
  const graph = referenceGraph(definitions);
  return [...graph]
    .filter(([id, references]) => id !== segmentId && references.includes(segmentId))
    .map(([id]) => id);
}
