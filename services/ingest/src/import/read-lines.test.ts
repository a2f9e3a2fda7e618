import { describe, expect, it } from 'vitest';
import { readLines, type Line } from './read-lines.js';

async function linesOf(chunks: string[], max = 64): Promise<Line[]> {
  const out: Line[] = [];
  for await (const line of readLines(
    (async function* () {
      for (const chunk of chunks) yield Buffer.from(chunk);
    })(),
    max,
  ))
    out.push(line);
  return out;
}

describe('readLines', () => {
  it('splits lines across chunks, drops CR and blank lines, keeps line numbers', async () => {
    expect(await linesOf(['{"a":', '1}\r\n\n{"b"', ':2}\n{"c":3}'])).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 3, text: '{"b":2}' },
      { number: 4, text: '{"c":3}' },
    ]);
  });

  it('reports a line past the limit by its length and reads on, holding none of it', async () => {
    const long = 'x'.repeat(50);
    expect(await linesOf(['{"a":1}\n', long, long, '\n{"b":2}\n'], 64)).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 2, tooLong: 100 },
      { number: 3, text: '{"b":2}' },
    ]);
  });
});
