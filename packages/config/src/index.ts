export { loadConfig, isLoopback, ConfigError, requireDistributed, type Config } from './config.js';
export type { KafkaConfig, DistributedService } from './distributed-env.js';
export { WEBHOOK_MAX_BACKOFF_MS, type WebhookConfig } from './webhook-env.js';
export type { ProviderConfig } from './provider-env.js';
export { SCOPES, type Scope, type ApiKey } from './env-schema.js';
export type { LimitsConfig } from './limits-env.js';
