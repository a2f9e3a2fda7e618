export {
  featuresInsertSql,
  featuresSelectSql,
  lapsedMs,
  OWNERS_SQL,
  type FeaturesParams,
} from './features-sql.js';
export { FIELD_CATALOGUE, type FieldSpec, type FieldType } from './field-catalogue.js';
export { parseRule, type ParsedRule } from './parse-rule.js';
export { InvalidRuleError, type RuleIssue } from './rule-issues.js';
export { compileRule, type CompiledRule } from './compile-rule.js';
export { referencedSegments } from './referenced-segments.js';
export { matchingProfilesSql } from './matching-profiles-sql.js';
