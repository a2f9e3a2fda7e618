export { ErasureService, type ErasureServiceDeps } from './erasure-service.js';
export type { ErasureRecord, ErasureReceipt, ErasureStatus } from './erasure-ledger.js';
export { SuppressionMemo } from './suppression-memo.js';
export {
  keyHash,
  suppressedChanges,
  suppressedEvents,
  type SuppressibleEvent,
} from './suppression.js';
export { exportCustomer, type ExportLine } from './export-customer.js';
export { AuditLog, type AuditEntry, type AuditRecord } from './audit-log.js';
