import { describe, expect, it } from 'vitest';
import { prefersCsv } from './accepts-csv.js';

describe('prefersCsv', () => {
  it('picks CSV only when the client prefers it to JSON', () => {
    expect(prefersCsv('text/csv')).toBe(true);
    expect(prefersCsv('text/csv, */*;q=0.8')).toBe(true);
    expect(prefersCsv('text/*')).toBe(true);
    expect(prefersCsv('application/json;q=0.5, text/csv')).toBe(true);
    expect(prefersCsv('TEXT/CSV; charset=utf-8')).toBe(true);

    expect(prefersCsv(undefined)).toBe(false);
    expect(prefersCsv('')).toBe(false);
    expect(prefersCsv('*/*')).toBe(false);
    expect(prefersCsv('application/json')).toBe(false);
    expect(prefersCsv('text/csv, application/json')).toBe(false);
    expect(prefersCsv('text/csv;q=0.5, application/json')).toBe(false);
    expect(prefersCsv('text/csv;q=0')).toBe(false);
    expect(prefersCsv('text/html, */*')).toBe(false);
  });
});
