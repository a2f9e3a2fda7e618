export { ingestPlugin, type IngestPluginOptions } from './plugin.js';
export { createIngestEvents, type IngestDeps, type IngestOutcome } from './ingest-events.js';
export { createValidateEventStep } from './steps/validate-event-step.js';
export {
  createNormalizeEventStep,
  deriveEventId,
  type NormalizeOptions,
} from './steps/normalize-event-step.js';
export {
  providerRoutes,
  type ProviderRoutesOptions,
  type ProviderWebhookAnswer,
} from './providers/provider-routes.js';
export type { FindCustomersByEmail } from './providers/resolve-customer.js';
export { importRoute } from './import/import-route.js';
export {
  createNdjsonImport,
  type ImportFormat,
  type ImportRejection,
  type ImportSummary,
} from './import/import-ndjson.js';
