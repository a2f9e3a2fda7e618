export { loadConfig, isLoopback, ConfigError, requireDistributed, type Config } from './config.js';
export type { KafkaConfig, DistributedService } from './distributed-env.js';
export { SCOPES, type Scope, type ApiKey } from './env-schema.js';
