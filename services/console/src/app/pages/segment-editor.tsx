import type { Segment } from '@rapport/schemas';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, sendJson } from '../api.js';
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
  const [rule, setRule] = useState<RuleNode>((segment?.rule as RuleNode | undefined) ?? EMPTY_RULE);
  const [json, setJson] = useState(JSON.stringify(rule, null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [problem, setProblem] = useState<{ issues: RuleIssue[]; message: string } | null>(null);
  const [saving, setSaving] = useState(false);

  const update = (next: RuleNode) => {
    setRule(next);
    setJson(JSON.stringify(next, null, 2));
    setJsonError(null);
  };

  useEffect(() => {
    const timer = setTimeout(() => {
      sendJson<Preview>('POST', '/v1/segments/preview', { rule, sample: 10 }).then(
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
  }, [rule]);

  const save = async () => {
    setSaving(true);
    try {
      const saved = segment
        ? await sendJson<Segment>('PUT', `/v1/segments/${encodeURIComponent(segment.id)}`, {
            name,
            description: segment.description,
            rule,
            expectedVersion: segment.version,
          })
        : await sendJson<Segment>('POST', '/v1/segments', { ...(id ? { id } : {}), name, rule });
      navigate(['segments', saved.id]);
    } catch (error) {
      setProblem(issuesOf(error));
    } finally {
      setSaving(false);
    }
  };

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
        <button type="submit" disabled={saving}>
          {segment ? `Save version ${segment.version + 1}` : 'Save segment'}
        </button>
      </form>
      {problem ? (
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
            issues={problem?.issues ?? []}
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
