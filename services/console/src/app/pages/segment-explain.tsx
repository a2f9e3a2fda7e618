import type { SegmentRule } from '@rapport/schemas';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { CONSENT_GRANTED } from '../consent.js';
import { formatInstant } from '../format.js';
import { href } from '../router.js';
import { Loading, Section } from '../ui.js';
import { useApi } from '../use-api.js';

/** One node as `GET /v1/segments/:id/explain/:customerId` answers it. */
export type ExplainedNode =
  | { type: 'and' | 'or'; verdict: boolean; rules: ExplainedNode[] }
  | { type: 'not'; verdict: boolean; rule: ExplainedNode }
  | {
      type: 'field' | 'event' | 'segment';
      verdict: boolean;
      condition: SegmentRule;
      value: unknown;
    };

export interface Explanation {
  segmentId: string;
  version: number;
  customerId: string;
  evaluatedAt: string;
  matches: boolean;
  member: boolean;
  /** The consent purposes the version explained requires: the rule's last conditions. */
  requiresConsent?: string[];
  rule: ExplainedNode;
}

/**
 * The consent conditions membership adds after the segment's own rule, one per purpose (the
 * last children of the top-level `and`), by path; and whether the rest of the rule matches.
 */
export function consentNodes(e: Explanation): {
  purposes: Map<string, { purpose: string; verdict: boolean }>;
  ruleMatches: boolean;
} {
  const purposes = new Map<string, { purpose: string; verdict: boolean }>();
  const wanted = e.requiresConsent ?? [];
  const top = e.rule;
  if (wanted.length === 0 || !('rules' in top) || top.type !== 'and')
    return { purposes, ruleMatches: e.matches };
  const first = top.rules.length - wanted.length;
  wanted.forEach((purpose, index) => {
    const node = top.rules[first + index];
    if (
      node &&
      'condition' in node &&
      node.condition.type === 'field' &&
      node.condition.field === `traits.consent_${purpose}`
    ) {
      purposes.set(`/rule/rules/${first + index}`, { purpose, verdict: node.verdict });
    }
  });
  return { purposes, ruleMatches: top.rules.slice(0, first).every((node) => node.verdict) };
}

const show = (value: unknown) =>
  value === null || value === undefined
    ? 'missing'
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);

/** A condition in words: `orders gte 2`, `order ≥ 1 in the last 30 days`, `in segment vip`. */
function conditionText(condition: SegmentRule): string {
  switch (condition.type) {
    case 'field':
      return `${condition.field} ${condition.op}${condition.value === undefined ? '' : ` ${show(condition.value)}`}`;
    case 'event': {
      const count = condition.count ?? { atLeast: 1 };
      const times =
        'atLeast' in count
          ? `at least ${count.atLeast}`
          : 'atMost' in count
            ? `at most ${count.atMost}`
            : `exactly ${count.exactly}`;
      const where = (condition.where ?? [])
        .map((filter) => `${filter.field} ${filter.op} ${show(filter.value)}`)
        .join(', ');
      const within = !condition.within
        ? 'ever'
        : 'lastDays' in condition.within
          ? `in the last ${condition.within.lastDays} days`
          : `from ${condition.within.from} to ${condition.within.to}`;
      return `${condition.event} events ${times} times ${within}${where ? ` where ${where}` : ''}`;
    }
    case 'segment':
      return `in segment ${condition.segmentId}`;
    default:
      return JSON.stringify(condition);
  }
}

/** What a leaf found for the profile, in words. */
function foundText(node: Extract<ExplainedNode, { condition: SegmentRule }>): string {
  if (node.type === 'event')
    return `${show(node.value)} matching event${node.value === 1 ? '' : 's'}`;
  if (node.type === 'segment') return node.value ? 'a member' : 'not a member';
  return `value: ${show(node.value)}`;
}

/**
 * The leaves that decide a node's verdict: for a failed `and` its failed children, for a
 * passed `or` its passed children, otherwise every child (through `not` unchanged).
 */
export function decidingPaths(node: ExplainedNode, path = '/rule'): string[] {
  if (node.type === 'not') return decidingPaths(node.rule, `${path}/rule`);
  if ('rules' in node) {
    const pick = node.type === 'and' ? !node.verdict : node.verdict;
    return node.rules.flatMap((child, index) =>
      !pick || child.verdict === node.verdict ? decidingPaths(child, `${path}/rules/${index}`) : [],
    );
  }
  return [path];
}

function Verdict(props: { verdict: boolean }) {
  return (
    <strong class={props.verdict ? 'verdict pass' : 'verdict fail'} data-testid="verdict">
      {props.verdict ? '✓ true' : '✗ false'}
    </strong>
  );
}

/** One node of the rule, read only, with its verdict and what it found. */
function ExplainedNodeView(props: {
  node: ExplainedNode;
  path: string;
  deciding: string[];
  consent: Map<string, { purpose: string }>;
}) {
  const { node, path } = props;
  const purpose = props.consent.get(path)?.purpose;
  const decides = props.deciding.includes(path);
  const box = (head: ComponentChildren, body?: ComponentChildren) => (
    <div
      class={`rule-node explained${node.verdict ? '' : ' failed'}${decides ? ' deciding' : ''}`}
      data-path={path}
      data-verdict={String(node.verdict)}
    >
      <div class="group-head">
        <Verdict verdict={node.verdict} />
        {head}
        {decides ? <span class="decides">{node.verdict ? 'decides' : 'fails here'}</span> : null}
      </div>
      {body ? <div class="group-body">{body}</div> : null}
    </div>
  );
  if ('rules' in node) {
    return box(
      <span>{node.type === 'and' ? 'all of (and)' : 'any of (or)'}</span>,
      node.rules.map((child, index) => (
        <ExplainedNodeView
          node={child}
          path={`${path}/rules/${index}`}
          deciding={props.deciding}
          consent={props.consent}
        />
      )),
    );
  }
  if (node.type === 'not') {
    return box(
      <span>not</span>,
      <ExplainedNodeView
        node={node.rule}
        path={`${path}/rule`}
        deciding={props.deciding}
        consent={props.consent}
      />,
    );
  }
  return box(
    <>
      {purpose === undefined ? null : (
        <span class="badge" data-testid="consent-condition">
          required consent: {purpose}
        </span>
      )}
      <code>{conditionText(node.condition)}</code>
      <span class="found" data-testid="found">
        {foundText(node)}
      </span>
    </>,
  );
}

function ExplanationView(props: { explanation: Explanation }) {
  const e = props.explanation;
  const deciding = decidingPaths(e.rule);
  const consent = consentNodes(e);
  const required = [...consent.purposes.values()];
  const withheld = required.filter((c) => !c.verdict).map((c) => c.purpose);
  return (
    <div data-testid="explanation">
      <p>
        <a href={href(['customers', e.customerId])}>{e.customerId}</a>{' '}
        <span data-testid="explain-matches">
          {e.matches ? 'matches the rule' : 'does not match the rule'}
        </span>{' '}
        (version {e.version}, evaluated {formatInstant(e.evaluatedAt)}) and is{' '}
        <span data-testid="explain-member">{e.member ? 'a member' : 'not a member'}</span> now.
        {e.matches === e.member
          ? null
          : ' Membership follows at the next evaluation of the segment.'}
      </p>
      {required.length === 0 ? null : (
        <p data-testid="explain-consent">
          {withheld.length === 0
            ? `Has granted consent for ${required.map((c) => c.purpose).join(', ')}, which the segment requires.`
            : consent.ruleMatches
              ? `Matches the segment's own rule but has not granted consent for ${withheld.join(', ')} (consent_<purpose> is not "${CONSENT_GRANTED}"): that alone keeps them out.`
              : `Has not granted consent for ${withheld.join(', ')}, and does not match the segment's own rule either.`}
        </p>
      )}
      <ExplainedNodeView
        node={e.rule}
        path="/rule"
        deciding={deciding}
        consent={consent.purposes}
      />
    </div>
  );
}

function Explained(props: { segmentId: string; customerId: string }) {
  const state = useApi<Explanation>(
    `/v1/segments/${encodeURIComponent(props.segmentId)}/explain/${encodeURIComponent(props.customerId)}`,
  );
  return (
    <Loading state={state}>
      {(explanation) => <ExplanationView explanation={explanation} />}
    </Loading>
  );
}

/**
 * "Why / why not?": the segment's rule evaluated for one customer, typed in or chosen from the
 * members table (`customerId` from the page).
 */
export function ExplainBox(props: {
  segmentId: string;
  customerId: string | null;
  onExplain: (customerId: string) => void;
}) {
  const [text, setText] = useState(props.customerId ?? '');
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (props.customerId === null) return;
    setText(props.customerId);
    box.current?.scrollIntoView();
  }, [props.customerId]);
  return (
    <div ref={box}>
      <Section title="Why / why not?">
        <form
          class="lookup"
          aria-label="explain a customer"
          onSubmit={(event) => {
            event.preventDefault();
            if (text.trim() !== '') props.onExplain(text.trim());
          }}
        >
          <label>
            Customer id
            <input name="explain" value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
          <button type="submit">Explain</button>
        </form>
        {props.customerId === null ? (
          <p class="muted">
            Type a customer id, or choose Explain on a member, to see each condition of the rule
            with what it found for them.
          </p>
        ) : (
          <Explained segmentId={props.segmentId} customerId={props.customerId} />
        )}
      </Section>
    </div>
  );
}
