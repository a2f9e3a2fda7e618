export { FIELD_CATALOGUE, type FieldSpec, type FieldType } from './field-catalogue.js';
export { parseRule, type ParsedRule } from './parse-rule.js';
export { InvalidRuleError, type RuleIssue } from './rule-issues.js';
export { compileRule, type CompiledRule } from './compile-rule.js';
export { consentCondition, membershipRule } from './consent.js';
export { matchingProfilesSql } from './matching-profiles-sql.js';
export {
  DEFAULT_MAX_QUERY_BYTES,
  MAX_RULE_VALUE_BYTES,
  StatementLimits,
  statementIssues,
} from './statement-limits.js';
export { referencedSegments } from './referenced-segments.js';
export {
  readNewestDefinitions,
  readNewestDefinition,
  readDefinitionVersion,
  insertDefinition,
  type StoredDefinition,
} from './store/definitions.js';
export {
  readLatestEvaluations,
  readReconciledEvaluations,
  readEvaluation,
  evaluationAnswer,
  type SegmentEvaluation,
} from './store/evaluations.js';
export {
  readEvaluableDefinitions,
  evaluationOrder,
  type EvaluableDefinition,
} from './store/evaluation-order.js';
export { referenceIssues, referrersOf } from './store/references.js';
export { SegmentDirectory } from './store/segment-directory.js';
export {
  StreamingSegments,
  type StreamingSegmentsOptions,
  type StreamingStatus,
  type StreamingLogger,
  type StreamingMetrics,
} from './streaming/streaming-segments.js';
export { recentlyReceivedKeys } from './streaming/scope-keys.js';
export { SegmentOutbox, type OutboxEntry } from './outbox/segment-outbox.js';
export {
  OutboxDispatcher,
  type Outlet,
  type OutboxDispatcherOptions,
  type OutboxMetrics,
} from './outbox/outbox-dispatcher.js';
export { explainRule, profileMatches, type ExplainedNode } from './explain/explain-rule.js';
export { liveSegments, memberSegments, type LiveVerdict } from './explain/live-segments.js';
export { currentProfileParams } from './streaming/profile-params.js';
export { WindowSweep, windowLengths } from './streaming/window-sweep.js';
export { batchOnlyRule, batchOnlySegments } from './streaming/batch-only.js';
