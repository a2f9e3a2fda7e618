/** One line of a stream: its number from 1, and its text or why it has none. */
export type Line = { number: number; text: string } | { number: number; tooLong: number };

const NEWLINE = 0x0a;

/**
 * The lines of a byte stream, without holding more than one line (and one chunk) in memory:
 * a line longer than `maxLineBytes` is skipped to its end and reported by its length, so
 * a file without newlines cannot exhaust memory. A trailing CR (CRLF files) is dropped;
 * blank lines are not reported.
 */
export async function* readLines(
  input: AsyncIterable<Buffer | string>,
  maxLineBytes: number,
): AsyncGenerator<Line> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflow = 0;
  let number = 0;

  function* finish(): Generator<Line> {
    number++;
    if (overflow > 0) {
      yield { number, tooLong: overflow + pendingBytes };
    } else {
      let text = Buffer.concat(pending, pendingBytes).toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text.trim() !== '') yield { number, text };
    }
    pending = [];
    pendingBytes = 0;
    overflow = 0;
  }

  function keep(part: Buffer) {
    if (overflow > 0 || pendingBytes + part.length > maxLineBytes) {
      overflow += pendingBytes + part.length;
      pending = [];
      pendingBytes = 0;
    } else {
      pending.push(part);
      pendingBytes += part.length;
    }
  }

  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, start)) {
      keep(bytes.subarray(start, at));
      yield* finish();
      start = at + 1;
    }
    if (start < bytes.length) keep(bytes.subarray(start));
  }
  if (pendingBytes > 0 || overflow > 0) yield* finish();
}
