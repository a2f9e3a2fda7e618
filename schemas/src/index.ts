import { fileURLToPath } from 'node:url';

export * from './events.js';
export * from './stored-event.js';
export * from './api.js';

/** Numbered SQL migrations, applied in order by the store. */
export const migrationsDir = fileURLToPath(new URL('../migrations/', import.meta.url));
export * from './profile.js';
export * from './jobs.js';
export * from './segments.js';
export * from './clusters.js';
export * from './run-summaries.js';
export * from './instant.js';
export * from './reports.js';
