import { z } from 'zod';

/** What a value is, as a producer would say it: "a string", "an array", "null". */
function kindOf(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'number' && !Number.isFinite(input)) return String(input);
  const kind = typeof input;
  return kind === 'object' ? 'an object' : `a ${kind}`;
}

const withArticle = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);

/** What a size counts, by what is measured ("characters" of a string). */
const UNITS: Partial<Record<string, string>> = {
  string: 'characters',
  array: 'items',
  set: 'items',
  map: 'entries',
  file: 'bytes',
};

const FORMATS: Partial<Record<string, string>> = {
  email: 'an email address',
  url: 'a URL',
  uuid: 'a UUID',
  datetime: 'an ISO-8601 date-time',
  date: 'a day (YYYY-MM-DD)',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  base64: 'base64',
};

/** The words of a lower and an upper bound: inclusive, then exclusive. */
const COUNT_BOUNDS = { least: ['at least', 'more than'], most: ['at most', 'fewer than'] };
const VALUE_BOUNDS = { least: ['at least', 'greater than'], most: ['at most', 'less than'] };

/** A size or value out of its bound: "must have at most 64 characters", "must be less than 3". */
function boundMessage(
  issue: { origin: string; exact?: boolean; inclusive?: boolean },
  limit: number | bigint,
  side: 'least' | 'most',
): string {
  const unit = UNITS[issue.origin];
  const [inclusive, exclusive] = (unit === undefined ? VALUE_BOUNDS : COUNT_BOUNDS)[side];
  const word = issue.exact === true ? 'exactly' : issue.inclusive === false ? exclusive : inclusive;
  return unit === undefined
    ? `must be ${word} ${String(limit)}`
    : `must have ${word} ${String(limit)} ${unit}`;
}

const listed = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

/**
 * zod's issues in the words the API uses elsewhere ("is required", "must be a number, not a
 * string"), for every schema that does not word its own. Undefined leaves zod's wording.
 */
export function plainIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${withArticle(issue.expected)}, not ${kindOf(issue.input)}`;
    case 'too_small':
      return boundMessage(issue, issue.minimum, 'least');
    case 'too_big':
      return boundMessage(issue, issue.maximum, 'most');
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${listed(issue.values)}`
        : `must be one of ${listed(issue.values)}`;
    case 'invalid_format': {
      if (issue.format === 'regex' && 'pattern' in issue) {
        return `must match ${String(issue.pattern)}`;
      }
      const format = FORMATS[issue.format];
      return format === undefined ? undefined : `must be ${format}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return `has ${issue.keys.length === 1 ? 'a field' : 'fields'} not accepted here: ${listed(issue.keys)}`;
    default:
      return undefined;
  }
}

// One wording for every parse in the process: schemas that word an issue themselves keep theirs.
z.config({ customError: plainIssueMessage });
