import { MAX_RULE_DEPTH, MAX_RULE_NODES } from '@rapport/schemas';
import { pointer, type PathSegment, type RuleIssue } from './rule-issues.js';

// Past these the rule is refused on its size alone, without looking at its parts.
const WALK_DEPTH = 64;
const WALK_NODES = 5_000;

export interface RuleLimits {
  issues: RuleIssue[];
  /** Too large to validate part by part. */
  beyondWalking: boolean;
}

function children(node: unknown): { node: unknown; path: PathSegment[] }[] {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return [];
  const record = node as Record<string, unknown>;
  if ((record.type === 'and' || record.type === 'or') && Array.isArray(record.rules)) {
    return record.rules.map((child: unknown, index) => ({ node: child, path: ['rules', index] }));
  }
  if (record.type === 'not' && record.rule !== undefined)
    return [{ node: record.rule, path: ['rule'] }];
  return [];
}

/**
 * Depth (the root is at depth 1) and node count, measured without recursion so that any
 * input, however deep, is measured safely. A node nested too deep is reported where it sits.
 */
export function checkLimits(input: unknown): RuleLimits {
  const issues: RuleIssue[] = [];
  const stack: { node: unknown; depth: number; path: PathSegment[] }[] = [
    { node: input, depth: 1, path: [] },
  ];
  let nodes = 0;
  let deepest = 0;
  while (stack.length > 0 && nodes <= WALK_NODES) {
    const { node, depth, path } = stack.pop() ?? { node: undefined, depth: 0, path: [] };
    nodes++;
    deepest = Math.max(deepest, depth);
    if (depth === MAX_RULE_DEPTH + 1) {
      issues.push({
        path: pointer(path),
        message: `rules nest at most ${MAX_RULE_DEPTH} levels deep; this node is at level ${depth}`,
      });
    }
    if (depth > WALK_DEPTH) continue;
    for (const child of children(node).reverse()) {
      stack.push({ node: child.node, depth: depth + 1, path: [...path, ...child.path] });
    }
  }
  const counted = stack.length > 0 ? `more than ${WALK_NODES}` : String(nodes);
  if (nodes > MAX_RULE_NODES) {
    issues.unshift({
      path: '',
      message: `the rule has ${counted} nodes; at most ${MAX_RULE_NODES} are allowed`,
    });
  }
  return { issues, beyondWalking: deepest > WALK_DEPTH || nodes > WALK_NODES };
}
