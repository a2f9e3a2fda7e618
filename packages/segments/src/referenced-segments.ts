import type { SegmentRule } from '@rapport/schemas';
import { assertNever } from './assert-never.js';

/** Every `segment` node of a rule, with its JSON Pointer within the rule ("" for the root). */
export function segmentNodes(
  rule: SegmentRule,
  pointer = '',
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

/** The ids of the segments a rule refers to, each once, in the order they appear. */
export function referencedSegments(rule: SegmentRule): string[] {
  return [...new Set(segmentNodes(rule).map((node) => node.segmentId))];
}
