export {
  openStore,
  type Store,
  type StoreOpening,
  type Lane,
  type QueryParams,
  type InsertOptions,
} from './store.js';
export { onLane } from './on-lane.js';
export { cancellable, type CancellableStore } from './cancellable-store.js';
export { observeStatements, type StatementObserver } from './observed-store.js';
export { StoreError, toStoreError, type StoreErrorCode } from './errors.js';
export { migrate, pendingMigrations, loadMigrations, type Migration } from './migrations.js';
export {
  renderForCluster,
  renderMigrations,
  LOCAL_SUFFIX,
  type ClusterTarget,
} from './cluster-ddl.js';
export { BatchWriter, QueueFullError, type BatchWriterOptions } from './batch-writer.js';
export { chunkForUrl, formatDateTime64, MAX_URL_PARAM_BYTES } from './sql.js';
export { LOWEST_NICE, cpuPrioritySetting, mayLowerThreadPriority } from './cpu-priority.js';
export { rebuildProjections, type RebuiltProjection } from './replay.js';
export {
  eventInsertSettings,
  finishEventBlocks,
  insertEventBlock,
  journalEventBlocks,
  unfinishedEventBlocks,
  type EventBlock,
} from './event-journal.js';
export {
  checkProjections,
  divergedProfileKeys,
  profileKeysReceivedSince,
  type ProjectionCheckResult,
  type ProjectionDivergence,
} from './projection-check.js';
