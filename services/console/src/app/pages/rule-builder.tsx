import type { ComponentChildren } from 'preact';

/** A field of the catalogue, as `GET /v1/segments/fields` lists it. */
export interface RuleField {
  name: string;
  type: string;
  description: string;
  operators: string[];
  values?: string[];
}

/** A rule node as JSON: the builder edits `and`, `or`, `not` and `field`; others stay as they are. */
export type RuleNode = Record<string, unknown> & { type: string };

export interface RuleIssue {
  path: string;
  message: string;
}

const LIST_OPS = new Set(['in', 'notIn', 'between', 'includesAny']);
const NO_VALUE_OPS = new Set(['exists', 'notExists']);

/** The value a user typed, in the type the field holds (lists comma-separated). */
export function parseValue(text: string, field: RuleField | undefined, op: string): unknown {
  const one = (part: string): unknown => {
    const trimmed = part.trim();
    if (field?.type === 'number' && trimmed !== '' && !Number.isNaN(Number(trimmed)))
      return Number(trimmed);
    if (field?.type === 'boolean' && (trimmed === 'true' || trimmed === 'false'))
      return trimmed === 'true';
    return trimmed;
  };
  return LIST_OPS.has(op) ? text.split(',').map(one) : one(text);
}

const scalarText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
const valueText = (value: unknown) =>
  Array.isArray(value)
    ? value.map(scalarText).join(', ')
    : value === undefined
      ? ''
      : scalarText(value);

interface NodeProps {
  node: RuleNode;
  path: string;
  fields: RuleField[];
  issues: RuleIssue[];
  onChange: (node: RuleNode | null) => void;
}

/** The issues that point at this node itself rather than at one of its children. */
function ownIssues(path: string, issues: RuleIssue[], childPaths: string[]): RuleIssue[] {
  return issues.filter(
    (issue) =>
      (issue.path === path || issue.path.startsWith(`${path}/`)) &&
      !childPaths.some((child) => issue.path === child || issue.path.startsWith(`${child}/`)),
  );
}

function Issues(props: { issues: RuleIssue[] }) {
  if (props.issues.length === 0) return null;
  return (
    <ul class="node-issues" role="alert">
      {props.issues.map((issue) => (
        <li>{issue.message}</li>
      ))}
    </ul>
  );
}

function NodeBox(props: { path: string; issues: RuleIssue[]; children: ComponentChildren }) {
  return (
    <div class={`rule-node${props.issues.length > 0 ? ' has-issue' : ''}`} data-path={props.path}>
      {props.children}
      <Issues issues={props.issues} />
    </div>
  );
}

function FieldNode(props: NodeProps) {
  const { node, fields } = props;
  const name = typeof node.field === 'string' ? node.field : '';
  const op = typeof node.op === 'string' ? node.op : '';
  const field = fields.find((f) => f.name === name);
  const operators = field?.operators ?? (op ? [op] : []);
  const set = (changes: Record<string, unknown>) => {
    const next: RuleNode = { ...node, ...changes };
    if (NO_VALUE_OPS.has(String(next.op))) delete next.value;
    props.onChange(next);
  };
  return (
    <NodeBox path={props.path} issues={ownIssues(props.path, props.issues, [])}>
      <div class="condition">
        <select
          aria-label="field"
          value={name}
          onChange={(event) => {
            const chosen = fields.find((f) => f.name === event.currentTarget.value);
            set({ field: event.currentTarget.value, op: chosen?.operators[0] ?? op });
          }}
        >
          {field ? null : <option value={name}>{name || 'choose a field'}</option>}
          {fields.map((f) => (
            <option value={f.name} title={f.description}>
              {f.name}
            </option>
          ))}
        </select>
        <select
          aria-label="operator"
          value={op}
          onChange={(event) => set({ op: event.currentTarget.value })}
        >
          {operators.map((o) => (
            <option value={o}>{o}</option>
          ))}
        </select>
        {NO_VALUE_OPS.has(op) ? null : (
          <input
            aria-label="value"
            list={field?.values ? `values-${field.name}` : undefined}
            value={valueText(node.value)}
            onChange={(event) => set({ value: parseValue(event.currentTarget.value, field, op) })}
          />
        )}
        {field?.values ? (
          <datalist id={`values-${field.name}`}>
            {field.values.map((v) => (
              <option value={v} />
            ))}
          </datalist>
        ) : null}
        <button type="button" class="link" onClick={() => props.onChange(null)}>
          Remove
        </button>
      </div>
    </NodeBox>
  );
}

function GroupNode(props: NodeProps) {
  const { node } = props;
  const rules = Array.isArray(node.rules) ? (node.rules as RuleNode[]) : [];
  const childPaths = rules.map((_, index) => `${props.path}/rules/${index}`);
  const setRules = (next: RuleNode[]) => props.onChange({ ...node, rules: next });
  const first = props.fields[0];
  return (
    <NodeBox path={props.path} issues={ownIssues(props.path, props.issues, childPaths)}>
      <div class="group-head">
        <select
          aria-label="combine with"
          value={node.type}
          onChange={(event) => props.onChange({ ...node, type: event.currentTarget.value })}
        >
          <option value="and">all of (and)</option>
          <option value="or">any of (or)</option>
        </select>
        <button
          type="button"
          onClick={() =>
            setRules([
              ...rules,
              { type: 'field', field: first?.name ?? '', op: first?.operators[0] ?? 'eq' },
            ])
          }
        >
          Add condition
        </button>
        <button type="button" onClick={() => setRules([...rules, { type: 'and', rules: [] }])}>
          Add group
        </button>
        {props.path === '/rule' ? null : (
          <button type="button" class="link" onClick={() => props.onChange(null)}>
            Remove
          </button>
        )}
      </div>
      <div class="group-body">
        {rules.map((child, index) => (
          <RuleNodeView
            node={child}
            path={childPaths[index]!}
            fields={props.fields}
            issues={props.issues}
            onChange={(next) =>
              setRules(
                next === null
                  ? rules.filter((_, i) => i !== index)
                  : rules.map((r, i) => (i === index ? next : r)),
              )
            }
          />
        ))}
      </div>
    </NodeBox>
  );
}

/** One node of the rule tree, edited in place; `onChange(null)` removes it. */
export function RuleNodeView(props: NodeProps) {
  const { node } = props;
  if (node.type === 'and' || node.type === 'or') return <GroupNode {...props} />;
  if (node.type === 'field') return <FieldNode {...props} />;
  if (node.type === 'not' && node.rule && typeof node.rule === 'object') {
    const childPath = `${props.path}/rule`;
    return (
      <NodeBox path={props.path} issues={ownIssues(props.path, props.issues, [childPath])}>
        <div class="group-head">
          <strong>not</strong>
          <button type="button" class="link" onClick={() => props.onChange(null)}>
            Remove
          </button>
        </div>
        <div class="group-body">
          <RuleNodeView
            node={node.rule as RuleNode}
            path={childPath}
            fields={props.fields}
            issues={props.issues}
            onChange={(next) => props.onChange(next === null ? null : { ...node, rule: next })}
          />
        </div>
      </NodeBox>
    );
  }
  return (
    <NodeBox path={props.path} issues={ownIssues(props.path, props.issues, [])}>
      <code>{JSON.stringify(node)}</code> <span class="muted">(edit in the JSON view)</span>
      <button type="button" class="link" onClick={() => props.onChange(null)}>
        Remove
      </button>
    </NodeBox>
  );
}
