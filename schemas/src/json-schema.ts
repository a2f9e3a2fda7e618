import { z } from 'zod';
import { eventSchema, ingestRequestSchema } from './events.js';

/** JSON Schema documents generated from the zod contract, keyed by file name. */
export function generateJsonSchemas(): Record<string, unknown> {
  const generate = (schema: z.ZodType, id: string, title: string) => ({
    ...z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }),
    $id: id,
    title,
  });
  return {
    'event.v1.schema.json': generate(
      eventSchema,
      'https://rapport.dev/schemas/event.v1.schema.json',
      'Rapport event (v1)',
    ),
    'ingest-request.v1.schema.json': generate(
      ingestRequestSchema,
      'https://rapport.dev/schemas/ingest-request.v1.schema.json',
      'Rapport ingest request body (v1): one event or { events: [...] }',
    ),
  };
}

export function renderJsonSchema(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
