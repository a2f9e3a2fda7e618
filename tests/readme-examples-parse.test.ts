import { describe, expect, it } from 'vitest';
import {
  answerLines,
  expectedStatus,
  readmeBlocks,
  unmatchedAnswer,
} from './support/readme-examples.js';

/** How the README examples test reads a README: which blocks, which commands, which answers. */

const readme = [
  'Intro.',
  '',
  '```sh',
  "curl -s localhost:8080/v1/events -H 'content-type: application/json' -d '{",
  '  "type": "page_view" }\'',
  '# {"accepted":1,…}',
  'npx rapport jobs run rfm \\',
  '  --as-of 2024-12-31   # a remark, not an answer',
  '```',
  '',
  '<!-- not tested: needs Docker -->',
  '',
  '```sh',
  'docker compose up && curl -s localhost:8080/readyz',
  '```',
  '',
  '```json',
  '{ "curl": "not a shell block" }',
  '```',
  '',
  '```sh',
  'npm test   # no curl and no rapport: not an example',
  '```',
].join('\n');

describe('reading the README examples', () => {
  const blocks = readmeBlocks('README.md', readme);

  it('takes the shell blocks that run curl or rapport, with their line numbers', () => {
    expect(blocks.map((block) => block.line)).toEqual([3, 13]);
    expect(blocks[1]?.skip).toBe('needs Docker');
  });

  it('cuts a block into commands, a quoted body or a trailing backslash going on', () => {
    const steps = blocks[0]!.steps;
    expect(steps.map((step) => step.line)).toEqual([4, 7]);
    expect(steps[0]!.command.split('\n')).toHaveLength(2);
    expect(steps[0]!.expected).toEqual(['{"accepted":1,…}']);
    expect(steps[1]!.command).toMatch(/--as-of 2024-12-31/);
    expect(steps[1]!.expected).toEqual([]);
  });

  it('matches an answer with … for anything, and a status apart', () => {
    expect(expectedStatus(['201 {"id":"a",…}'])).toBe(201);
    expect(answerLines(['201 {"id":"a",…}'])).toEqual(['{"id":"a",…}']);
    expect(unmatchedAnswer('{"id":"a","version":1}', ['{"id":"a",…}'])).toBeUndefined();
    expect(unmatchedAnswer('{"id":"b","version":1}', ['{"id":"a",…}'])).toBe('{"id":"a",…}');
    const csv = 'customer_id,since\ncust-1-101,2026-12-01T10:00:00Z\n';
    const shown = answerLines(['customer_id,since', 'cust-1-101,…   (one row per member)']);
    expect(unmatchedAnswer(csv, shown)).toBeUndefined();
    expect(unmatchedAnswer(csv, ['cust-1-102,…'])).toBe('cust-1-102,…');
  });

  it('reads a JSON answer as JSON: members in any order, … for the others', () => {
    const answer = '{"accepted":2,"duplicates":0,"rejected":[],"success":true}';
    expect(
      unmatchedAnswer(answer, ['{"success":true,"accepted":2,"duplicates":0,"rejected":[]}']),
    ).toBeUndefined();
    expect(unmatchedAnswer(answer, ['{"success":true,"accepted":3,…}'])).toBe(
      '{"success":true,"accepted":3,…}',
    );
    const saved =
      '{"id":"vip","version":1,"rule":{"type":"field"},"lastEvaluation":null,"realtime":true}';
    expect(
      unmatchedAnswer(saved, ['{"id":"vip","version":1,…,"lastEvaluation":null}']),
    ).toBeUndefined();
    expect(unmatchedAnswer(saved, ['{"id":"vip","version":2,…}'])).toBeDefined();
    expect(unmatchedAnswer('{"id":"seg_0a1b2c"}', ['{"id":"seg_…"}'])).toBeUndefined();
    expect(unmatchedAnswer('{"accepted":1}', ['{"accepted":1,"extra":true}'])).toBeDefined();
  });
});
