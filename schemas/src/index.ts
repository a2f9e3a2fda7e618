import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// First: every schema's issues are worded as the API words them (see plainIssueMessage).
export { plainIssueMessage } from './issue-wording.js';

export * from './events.js';
export * from './stored-event.js';
export * from './api.js';

/**
 * Numbered SQL migrations, applied in order by the store. Found from where this package is
 * installed rather than from this module's own file, so the path holds in the bundle
 * `npm start` runs as well as from the sources.
 */
export const migrationsDir = join(
  dirname(createRequire(import.meta.url).resolve('@rapport/schemas')),
  '../migrations/',
);
export * from './profile.js';
export * from './jobs.js';
export * from './segments.js';
export * from './clusters.js';
export * from './run-summaries.js';
export * from './instant.js';
export * from './reports.js';
