import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateJsonSchemas, renderJsonSchema } from './json-schema.js';

describe('checked-in JSON Schema', () => {
  for (const [file, document] of Object.entries(generateJsonSchemas())) {
    it(`${file} matches the zod contract (run npm run schemas:generate if not)`, () => {
      const checkedIn = readFileSync(new URL(`../json/${file}`, import.meta.url), 'utf8');
      expect(checkedIn).toBe(renderJsonSchema(document));
    });
  }
});
