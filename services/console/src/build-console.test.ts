import { describe, expect, it } from 'vitest';
import { buildConsole } from './build-console.js';

/** First load: at most 300 KB of compressed JavaScript (issue 18), as the console serves it. */
const FIRST_LOAD_BUDGET = 300 * 1024;

describe('the console bundle', () => {
  it('loads the page with at most 300 KB of gzipped JavaScript', async () => {
    const assets = await buildConsole();
    const scripts = [...assets.entries()].filter(([, file]) =>
      file.contentType.startsWith('text/javascript'),
    );
    expect(scripts.map(([path]) => path)).toEqual(['/console/app.js']);
    const gzipped = scripts.reduce((sum, [, file]) => sum + file.gzipped.length, 0);
    expect(gzipped).toBeGreaterThan(0);
    expect(gzipped).toBeLessThanOrEqual(FIRST_LOAD_BUDGET);
  });
});
