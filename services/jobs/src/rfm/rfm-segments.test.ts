import { readFileSync } from 'node:fs';
import { RFM_SEGMENT_NAMES } from '@rapport/schemas';
import { openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RFM_SEGMENTS, rfmSegment, rfmSegmentSql } from './rfm-segments.js';

/**
 * The segment map as the README shows it (section "RFM"): README[r][f] for R, F in 1…5, read
 * from its table so that the code is held to what users are told.
 */
function readmeGrid(): Map<string, string> {
  const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### RFM'), readme.indexOf('### CLV'));
  const header = section.split('\n').find((line) => line.startsWith('| R \\ F |'));
  const columns = (header ?? '')
    .split('|')
    .slice(2, -1)
    .map((cell) => Number(cell.trim()));
  expect(columns).toEqual([1, 2, 3, 4, 5]);
  const grid = new Map<string, string>();
  for (const line of section.split('\n')) {
    const row = /^\| \*\*(\d)\*\* \|(.*)\|$/.exec(line);
    if (!row) continue;
    row[2]?.split('|').forEach((cell, i) => grid.set(`${row[1]}:${columns[i]}`, cell.trim()));
  }
  return grid;
}

let test: TestStore;
beforeAll(async () => {
  test = await openTestStore();
}, 60_000);
afterAll(() => test.dispose());

describe('the RFM segment map', () => {
  it('puts every cell of the 5 × 5 grid in exactly one segment', () => {
    for (let r = 1; r <= 5; r++) {
      for (let f = 1; f <= 5; f++) {
        const owners = RFM_SEGMENTS.filter(
          (s) => r >= s.r[0] && r <= s.r[1] && f >= s.f[0] && f <= s.f[1],
        );
        expect(
          owners.map((s) => s.name),
          `R=${r} F=${f}`,
        ).toHaveLength(1);
      }
    }
  });

  it('uses every segment name rules can name, and only those', () => {
    expect(RFM_SEGMENTS.map((s) => s.name).sort()).toEqual([...RFM_SEGMENT_NAMES].sort());
  });

  it("puts every cell where the README's grid does, in the code and in SQL", async () => {
    const grid = readmeGrid();
    expect(grid.size).toBe(25);
    const rows = await test.store.query<{ r: number; f: number; segment: string }>(
      `SELECT r, f, ${rfmSegmentSql()} AS segment
       FROM (SELECT arrayJoin(range(1, 6)) AS r) AS rs
       CROSS JOIN (SELECT arrayJoin(range(1, 6)) AS f) AS fs`,
    );
    expect(rows).toHaveLength(25);
    for (const row of rows) {
      const cell = `R=${row.r} F=${row.f}`;
      const want = grid.get(`${row.r}:${row.f}`);
      expect(rfmSegment(Number(row.r), Number(row.f)), cell).toBe(want);
      expect(row.segment, cell).toBe(want);
    }
  });

  it('quotes the apostrophe in SQL', () => {
    expect(rfmSegmentSql()).toContain("'Can\\'t Lose Them'");
  });
});
