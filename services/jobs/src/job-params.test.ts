import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clvParams } from './clv/clv-job.js';
import { allowEmptyParam, asOfParam } from './job-params.js';

const DAY = 86_400_000;

describe('job parameters', () => {
  it('takes an asOf from the earliest stored time (1900) to a day ahead', () => {
    const params = z.object({ asOf: asOfParam });
    expect(params.parse({ asOf: '1995-01-01' }).asOf).toBe('1995-01-01T23:59:59.999Z');
    expect(params.parse({ asOf: '1900-01-01T00:00:00Z' }).asOf).toBe('1900-01-01T00:00:00.000Z');
    const soon = new Date(Date.now() + DAY - 60_000).toISOString();
    expect(params.parse({ asOf: soon }).asOf).toBe(soon);
    for (const asOf of ['0000-01-01', '1899-12-31T23:59:59Z', '9999-12-31']) {
      const parsed = params.safeParse({ asOf });
      expect(parsed.success, asOf).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['asOf']);
    }
  });

  it('holds the clv times to the same range, each named', () => {
    const late = clvParams.safeParse({ asOf: '2999-01-01' });
    expect(late.error?.issues.map((issue) => issue.path)).toEqual([['asOf']]);
    const early = clvParams.safeParse({ asOf: '2024-12-31', calibrationEnd: '1899-12-31' });
    expect(early.error?.issues.map((issue) => issue.path)).toEqual([['calibrationEnd']]);
    expect(early.error?.issues[0]?.message).toMatch(/outside the time events can have/);
  });

  it('reads allowEmpty from JSON or from the command line', () => {
    expect(allowEmptyParam.parse(undefined)).toBe(false);
    expect(allowEmptyParam.parse(true)).toBe(true);
    expect(allowEmptyParam.parse('true')).toBe(true);
    expect(allowEmptyParam.parse('false')).toBe(false);
    expect(allowEmptyParam.safeParse('yes').success).toBe(false);
  });
});
