export { loadConfig, isLoopback, ConfigError, type Config } from './config.js';
export { SCOPES, type Scope, type ApiKey } from './env-schema.js';
