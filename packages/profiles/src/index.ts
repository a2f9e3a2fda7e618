export {
  profileKey,
  parseProfileKey,
  customerKeys,
  profileKeySql,
  anonymousIdSql,
  type ProfileIds,
} from './profile-key.js';
export { ownersSql, linkedAnonymousIds, ownerOf, unlinkEvent } from './identity.js';
export {
  PROFILE_FIELDS,
  profileField,
  type ProfileField,
  type FieldType,
} from './profile-fields.js';
export {
  profileRowsSql,
  oneProfileSql,
  profileFeaturesInsertSql,
  lapsedMs,
  PROFILE_COLUMNS,
} from './profile-sql.js';
export { SCOPE, scopeParams, scopeBoundOnce, type ScopeParams } from './scope-params.js';
export { linkedScope, type LinkedScope } from './linked-scope.js';
export {
  snapshotParams,
  writeProfileSnapshot,
  type ProfileSnapshotParams,
  type SnapshotOptions,
  type SnapshotOutcome,
} from './profile-snapshot.js';
export { ProfileCache } from './profile-cache.js';
export {
  ProfileService,
  type ProfileServiceDeps,
  type ProfileSegments,
  type LifecycleSettings,
} from './profile-service.js';
export { findByTrait } from './trait-lookup.js';
export { ProfileRows, type RowRuns, type StoredRow } from './profile-rows.js';
export { RowMirror } from './row-mirror.js';
export { openRowMirror } from './row-mirror-fill.js';
