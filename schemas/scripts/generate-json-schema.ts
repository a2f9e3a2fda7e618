import { writeFileSync } from 'node:fs';
import { generateJsonSchemas, renderJsonSchema } from '../src/json-schema.js';

const dir = new URL('../json/', import.meta.url);
for (const [file, document] of Object.entries(generateJsonSchemas())) {
  writeFileSync(new URL(file, dir), renderJsonSchema(document));
  console.log(`wrote schemas/json/${file}`);
}
