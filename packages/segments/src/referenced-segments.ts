import type { SegmentRule } from '@rapport/schemas';
import { assertNever } from './assert-never.js';

/** The ids of the segments a rule refers to, each once, in the order they appear. */
export function referencedSegments(rule: SegmentRule): string[] {
  const found = new Set<string>();
  const visit = (node: SegmentRule): void => {
    switch (node.type) {
      case 'and':
      case 'or':
        node.rules.forEach(visit);
        return;
      case 'not':
        visit(node.rule);
        return;
      case 'segment':
        found.add(node.segmentId);
        return;
      case 'field':
      case 'event':
        return;
      default:
        assertNever(node);
    }
  };
  visit(rule);
  return [...found];
}
