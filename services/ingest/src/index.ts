export { ingestPlugin, type IngestPluginOptions } from './plugin.js';
export { createIngestEvents, type IngestDeps, type IngestOutcome } from './ingest-events.js';
export { deriveEventId } from './steps/normalize-event-step.js';
