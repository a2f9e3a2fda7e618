import type { z } from 'zod';

/** A problem with a rule: `path` is the JSON Pointer of the part at fault ("" for the root). */
export interface RuleIssue {
  path: string;
  message: string;
}

export type PathSegment = string | number;

/** RFC 6901: `~` and `/` inside a key are escaped. */
export function pointer(path: readonly PathSegment[]): string {
  return path
    .map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`)
    .join('');
}

// zod says "Invalid input" for a union that fails; these name what the union accepts.
const UNION_MESSAGES: Record<string, string> = {
  value:
    'must be a string (up to 1000 characters), a number, a boolean, or a list of 1–1000 of them',
  count: 'must be one of { "atLeast": n }, { "atMost": n }, { "exactly": n }',
  within: 'must be { "lastDays": n } or { "from": "<ISO date-time>", "to": "<ISO date-time>" }',
};

/** zod's issues, each at the pointer of the offending part. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): RuleIssue[] {
  return issues.flatMap((issue): RuleIssue[] => {
    const path = issue.path.map((segment) =>
      typeof segment === 'symbol' ? String(segment) : segment,
    );
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: pointer([...path, key]),
        message: `unknown key "${key}"`,
      }));
    }
    const last = path.at(-1);
    if (issue.code === 'invalid_union' && typeof last === 'string') {
      const message = UNION_MESSAGES[last];
      if (message) return [{ path: pointer(path), message }];
    }
    return [{ path: pointer(path), message: issue.message }];
  });
}

/** Edit distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The candidate closest to `name`, if it is close enough to be a likely typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const score = distance(wanted, candidate.toLowerCase());
    if (!best || score < best.score) best = { candidate, score };
  }
  if (!best) return undefined;
  return best.score <= Math.max(2, Math.floor(name.length / 3)) ? best.candidate : undefined;
}

/** A rule that failed validation, for callers that compile without parsing first. */
export class InvalidRuleError extends Error {
  constructor(readonly issues: readonly RuleIssue[]) {
    super(
      `invalid segment rule: ${issues.map((issue) => `${issue.path || '/'}: ${issue.message}`).join('; ')}`,
    );
    this.name = 'InvalidRuleError';
  }
}
