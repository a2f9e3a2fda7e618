export { createApp, type App, type AppOptions } from './create-app.js';
export { HttpError, type HttpIssue } from './http-error.js';
export type { ReadinessCheck } from './ops-routes.js';
export type { RouteScope } from './auth.js';
export type { AuditEvent, AuditRecorder } from './audit-hook.js';
export { redactUrl } from './redact-url.js';
export { QueryGate, type QueryGateOptions } from './query-gate.js';
export { heavyQueryGate } from './heavy-query-threads.js';
