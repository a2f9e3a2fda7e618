import { describe, expect, it } from 'vitest';
import { SqlParams } from './sql-params.js';

describe('SqlParams', () => {
  it('hands out numbered placeholders and collects their values with the evaluation time', () => {
    const params = new SqlParams(1_700_000_000_000);
    expect(params.bind('String', "it's")).toBe('{rule_p0:String}');
    expect(params.bind('Array(Float64)', [1, 2])).toBe('{rule_p1:Array(Float64)}');
    expect(params.values).toEqual({
      rule_now: 1_700_000_000_000,
      rule_p0: "it's",
      rule_p1: [1, 2],
    });
  });

  it('gives out a copy of the values', () => {
    const params = new SqlParams(0);
    params.values.rule_p0 = 'changed';
    expect(params.values).toEqual({ rule_now: 0 });
  });
});
