import { MAX_NESTING_DEPTH, tooDeepPath } from '@rapport/schemas';
import { ok, reject, type StepResult } from './step-result.js';

/**
 * Rejects an event whose objects and arrays nest deeper than the limit. Runs first: every
 * later step (size, id derivation, serialisation) walks the event recursively.
 */
export function createCheckEventDepthStep(maxDepth = MAX_NESTING_DEPTH) {
  return function checkEventDepthStep(raw: unknown): StepResult<unknown> {
    const path = tooDeepPath(raw, maxDepth);
    if (path === undefined) return ok(raw);
    return reject('too_deep', {
      path,
      message: `nests deeper than ${maxDepth} levels of objects and arrays (the event is level 1)`,
    });
  };
}
