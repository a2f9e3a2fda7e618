import { readFileSync } from 'node:fs';

/**
 * The shell examples of a README, as a reader sees them: fenced `sh`/`bash` blocks that run
 * `curl` or `rapport`, cut into steps (one command each, with the answer the README shows
 * under it as `# …` lines). A block right after `<!-- not tested: <reason> -->` is skipped.
 */

export interface ReadmeStep {
  /** 1-based line of the README where the command starts. */
  line: number;
  command: string;
  /** The answer shown under the command (`# …` lines), without the `# `. */
  expected: string[];
}

export interface ReadmeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** Why the block is not run, when a `<!-- not tested: … -->` marker precedes it. */
  skip?: string;
  steps: ReadmeStep[];
}

const FENCE = /^```(sh|bash|shell)\s*$/;
const MARKER = /<!--\s*not tested:\s*([\s\S]*?)\s*-->/;

/** Whether a line leaves a quote open (a command that goes on on the next line). */
function openQuoteAfter(line: string, open: '"' | "'" | undefined): '"' | "'" | undefined {
  let quote = open;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote === undefined) {
      if (char === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return undefined;
      if (char === '\\') i++;
      else if (char === '"' || char === "'") quote = char;
    } else if (quote === '"' && char === '\\') {
      i++;
    } else if (char === quote) {
      quote = undefined;
    }
  }
  return quote;
}

/** Cuts a block into commands, each with the `# answer` lines right under it. */
export function splitSteps(lines: readonly string[], firstLine: number): ReadmeStep[] {
  const steps: ReadmeStep[] = [];
  let current: ReadmeStep | undefined;
  let quote: '"' | "'" | undefined;
  let continued = false;
  for (const [n, line] of lines.entries()) {
    if (current !== undefined && (quote !== undefined || continued)) {
      current.command += `\n${line}`;
    } else if (/^\s*#/.test(line)) {
      // An answer belongs to the command above it; a comment before any command explains.
      if (current !== undefined) current.expected.push(line.replace(/^\s*#\s?/, ''));
      continue;
    } else if (line.trim() === '') {
      continue;
    } else {
      current = { line: firstLine + n, command: line, expected: [] };
      steps.push(current);
    }
    quote = openQuoteAfter(line, quote);
    continued = quote === undefined && /\\\s*$/.test(line.replace(/\s+#.*$/, ''));
  }
  return steps;
}

/** A command without its comments (an unquoted `#` after a space to the end of its line). */
export function withoutComments(command: string): string {
  let quote: '"' | "'" | undefined;
  let out = '';
  for (let i = 0; i < command.length; i++) {
    const char = command[i]!;
    if (quote === undefined && char === '#' && (i === 0 || /\s/.test(command[i - 1]!))) {
      while (i < command.length && command[i] !== '\n') i++;
      out += '\n';
      continue;
    }
    if (quote !== "'" && char === '\\') {
      out += char + (command[i + 1] ?? '');
      i++;
      continue;
    }
    if (quote === undefined && (char === '"' || char === "'")) quote = char;
    else if (quote === char) quote = undefined;
    out += char;
  }
  return out;
}

/** Runs of `curl` or the rapport command line: what the examples test exercises. */
export const isExample = (step: ReadmeStep) =>
  /(^|[\s;&|(])(curl|rapport)\b/.test(withoutComments(step.command));

export function readmeBlocks(file: string, text = readFileSync(file, 'utf8')): ReadmeBlock[] {
  const lines = text.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = FENCE.exec(lines[i]!);
    if (!fence) {
      if (/^```/.test(lines[i]!)) {
        // Another language's block: skip to its end so its content is not read as prose.
        for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++);
      }
      continue;
    }
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? MARKER.exec(lines[before]!) : null;
    const steps = splitSteps(lines.slice(i + 1, end), i + 2);
    if (steps.some(isExample)) {
      blocks.push({ file, line: i + 1, steps, ...(marker ? { skip: marker[1]! } : {}) });
    }
    i = end;
  }
  return blocks;
}

/**
 * Whether `output` shows the answer the README gives: each answer line, in order, matches a
 * line of the output, where `…` stands for anything and runs of spaces for any spacing. A
 * leading status (`201 {…}`) is the HTTP status, checked apart; a remark after two spaces in
 * parentheses (`(one row per member)`) is for the reader.
 */
export function expectedStatus(expected: readonly string[]): number | undefined {
  const match = /^(\d{3})(\s|$)/.exec(expected[0] ?? '');
  return match ? Number(match[1]) : undefined;
}

export function answerLines(expected: readonly string[]): string[] {
  return expected
    .map((line, n) => (n === 0 ? line.replace(/^\d{3}(\s+|$)/, '') : line))
    .map((line) => line.replace(/\s{2,}\([^)]*\)\s*$/, '').trim())
    .filter((line) => line !== '');
}

function linePattern(line: string): RegExp {
  const parts = line.split('…').map((part) =>
    part
      .split(/\s+/)
      .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('\\s*'),
  );
  return new RegExp(`^\\s*${parts.join('.*?')}\\s*$`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * An answer shown as JSON, where `…` between members means "and others": the members shown
 * must be there with those values (a `…` inside a string stands for any text); the order of
 * members does not matter, as it does not to a JSON reader.
 */
function shownJson(line: string): unknown {
  const trimmed = line.trim();
  if (!/^[[{]/.test(trimmed)) return undefined;
  return parseJson(trimmed.replace(/,\s*…\s*(?=[,}\]])/g, '').replace(/([[{])\s*…\s*,?/g, '$1'));
}

function jsonMatches(shown: unknown, actual: unknown): boolean {
  if (typeof shown === 'string') {
    return (
      typeof actual === 'string' &&
      (shown.includes('…') ? linePattern(shown).test(actual) : shown === actual)
    );
  }
  if (Array.isArray(shown)) {
    return (
      Array.isArray(actual) &&
      shown.length <= actual.length &&
      shown.every((item, n) => jsonMatches(item, actual[n]))
    );
  }
  if (shown !== null && typeof shown === 'object') {
    return (
      actual !== null &&
      typeof actual === 'object' &&
      !Array.isArray(actual) &&
      Object.entries(shown).every(
        ([key, value]) =>
          key in actual && jsonMatches(value, (actual as Record<string, unknown>)[key]),
      )
    );
  }
  return Object.is(shown, actual);
}

function lineMatches(expected: string, line: string): boolean {
  const shown = shownJson(expected);
  if (shown !== undefined) {
    const actual = parseJson(line.trim());
    if (actual !== undefined) return jsonMatches(shown, actual);
  }
  return linePattern(expected).test(line);
}

/** The first answer line no output line matches, or undefined when all match in order. */
export function unmatchedAnswer(output: string, answer: readonly string[]): string | undefined {
  const lines = output.split('\n');
  let at = 0;
  for (const expected of answer) {
    while (at < lines.length && !lineMatches(expected, lines[at]!)) at++;
    if (at === lines.length) return expected;
    at++;
  }
  return undefined;
}
