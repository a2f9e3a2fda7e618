import type { Segment } from '@rapport/schemas';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, sendJson } from '../api.js';
import { CONSENT_MEANING, parsePurposes } from '../consent.js';
import { formatCount } from '../format.js';
import { navigate } from '../router.js';
import { Loading, Section } from '../ui.js';
import { useApi } from '../use-api.js';
import { RuleNodeView, type RuleField, type RuleIssue, type RuleNode } from './rule-builder.js';

interface Preview {
  count: number;
  sample: { customerId: string | null; anonymousId: string | null }[];
}

const EMPTY_RULE: RuleNode = { type: 'and', rules: [] };

const CONSENT_PATH = '/requiresConsent';
const atConsent = (issue: RuleIssue) =>
  issue.path === CONSENT_PATH || issue.path.startsWith(`${CONSENT_PATH}/`);

/** Errors of a refused rule: each issue at its node, or the message when none points anywhere. */
function issuesOf(error: unknown): { issues: RuleIssue[]; message: string } {
  if (error instanceof ApiError) return { issues: error.issues, message: error.message };
  return { issues: [], message: error instanceof Error ? error.message : String(error) };
}

/** The rule tree and its JSON side by side, a live count and sample, and save. */
function Editor(props: { fields: RuleField[]; segment: Segment | null }) {
  const { segment } = props;
  const [id, setId] = useState('');
  const [name, setName] = useState(segment?.name ?? '');
  const [consentText, setConsentText] = useState(segment?.requiresConsent.join(', ') ?? '');
  const consent = parsePurposes(consentText);
  // The purposes as one string, so the preview runs again when they change (an array would be
  // a new value at every render); null while they are wrong.
  const purposesKey = consent.error === null ? consent.purposes.join(',') : null;
  const [rule, setRule] = useState<RuleNode>((segment?.rule as RuleNode | undefined) ?? EMPTY_RULE);
  const [json, setJson] = useState(JSON.stringify(rule, null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [problem, setProblem] = useState<{ issues: RuleIssue[]; message: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const consentInput = useRef<HTMLInputElement>(null);

  const update = (next: RuleNode) => {
    setRule(next);
    setJson(JSON.stringify(next, null, 2));
    setJsonError(null);
  };

  useEffect(() => {
    // Purposes the API would refuse: their error is shown at the field, and no count.
    if (purposesKey === null) {
      setPreview(null);
      return;
    }
    const requiresConsent = purposesKey === '' ? [] : purposesKey.split(',');
    const timer = setTimeout(() => {
      sendJson<Preview>('POST', '/v1/segments/preview', { rule, requiresConsent, sample: 10 }).then(
        (answer) => {
          setPreview(answer);
          setProblem(null);
        },
        (error: unknown) => {
          setPreview(null);
          setProblem(issuesOf(error));
        },
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [rule, purposesKey]);

  const save = async () => {
    if (consent.error !== null) {
      consentInput.current?.focus();
      return;
    }
    setSaving(true);
    try {
      const saved = segment
        ? await sendJson<Segment>('PUT', `/v1/segments/${encodeURIComponent(segment.id)}`, {
            name,
            description: segment.description,
            rule,
            requiresConsent: consent.purposes,
            expectedVersion: segment.version,
          })
        : await sendJson<Segment>('POST', '/v1/segments', {
            ...(id ? { id } : {}),
            name,
            rule,
            requiresConsent: consent.purposes,
          });
      navigate(['segments', saved.id]);
    } catch (error) {
      setProblem(issuesOf(error));
    } finally {
      setSaving(false);
    }
  };

  const consentError =
    consent.error ??
    (problem?.issues
      .filter(atConsent)
      .map((issue) => issue.message)
      .join('; ') ||
      null);

  return (
    <>
      <form
        class="segment-form"
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        {segment ? null : (
          <label>
            Id (optional)
            <input name="id" value={id} onInput={(event) => setId(event.currentTarget.value)} />
          </label>
        )}
        <label>
          Name
          <input
            name="name"
            required
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
          />
        </label>
        <label>
          Requires consent (optional)
          <input
            ref={consentInput}
            class="purposes"
            name="requiresConsent"
            placeholder="e.g. marketing"
            aria-describedby={consentError ? 'consent-help consent-error' : 'consent-help'}
            aria-invalid={consentError ? 'true' : undefined}
            value={consentText}
            onInput={(event) => setConsentText(event.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={saving}>
          {segment ? `Save version ${segment.version + 1}` : 'Save segment'}
        </button>
        <div class="field-notes">
          <p id="consent-help" class="muted">
            Consent purposes, comma-separated; empty for none. {CONSENT_MEANING}
          </p>
          {consentError ? (
            <p id="consent-error" class="error" role="alert" data-testid="consent-error">
              Requires consent: {consentError}
            </p>
          ) : null}
        </div>
      </form>
      {problem && !(problem.issues.length > 0 && problem.issues.every(atConsent)) ? (
        <p class="error" role="alert" data-testid="rule-error">
          {problem.message}
        </p>
      ) : null}
      <p role="status" data-testid="preview-count">
        {preview ? `${formatCount(preview.count)} profiles match` : '…'}
      </p>
      <div class="grid">
        <Section title="Rule">
          <RuleNodeView
            node={rule}
            path="/rule"
            fields={props.fields}
            issues={problem?.issues.filter((issue) => !atConsent(issue)) ?? []}
            onChange={(next) => update(next ?? EMPTY_RULE)}
          />
        </Section>
        <Section title="JSON">
          <textarea
            aria-label="rule as JSON"
            name="json"
            rows={18}
            value={json}
            onInput={(event) => {
              const text = event.currentTarget.value;
              setJson(text);
              try {
                setRule(JSON.parse(text) as RuleNode);
                setJsonError(null);
              } catch (error) {
                setJsonError(error instanceof Error ? error.message : String(error));
              }
            }}
          />
          {jsonError ? <p class="error">{jsonError}</p> : null}
          {preview && preview.sample.length > 0 ? (
            <p class="muted">
              e.g.{' '}
              {preview.sample.map((m) => m.customerId ?? `visitor ${m.anonymousId}`).join(', ')}
            </p>
          ) : null}
        </Section>
      </div>
    </>
  );
}

/** `#/segments/new`, or `#/segments/<id>/edit` for the next version of one. */
export function SegmentEditorPage(props: { id: string | null }) {
  const fields = useApi<{ fields: RuleField[] }>('/v1/segments/fields');
  const segment = useApi<Segment>(props.id ? `/v1/segments/${encodeURIComponent(props.id)}` : null);
  return (
    <>
      <h1>{props.id ? `Edit ${props.id}` : 'New segment'}</h1>
      <Loading state={fields}>
        {({ fields: catalogue }) =>
          props.id === null ? (
            <Editor fields={catalogue} segment={null} />
          ) : (
            <Loading state={segment}>{(s) => <Editor fields={catalogue} segment={s} />}</Loading>
          )
        }
      </Loading>
    </>
  );
}
