import type { Profile, TimelineResponse } from '@rapport/schemas';
import { useState } from 'preact/hooks';
import { getJson, query, sendJson } from '../api.js';
import { formatCount, formatInstant, formatMoney, formatNumber, formatShare } from '../format.js';
import { href, navigate, type Route } from '../router.js';
import { Loading, Section, Stat, Stats, Table } from '../ui.js';
import { useApi } from '../use-api.js';

/** Find by customer id, email or phone; the answer opens the profile. */
function Lookup(props: { initial: string }) {
  const [text, setText] = useState(props.initial);
  const [matches, setMatches] = useState<Profile[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const find = async () => {
    const value = text.trim();
    if (value === '') return;
    setError(null);
    setMatches(null);
    const by = value.includes('@') ? 'email' : /^\+?[\d\s().-]{6,}$/.test(value) ? 'phone' : null;
    if (by === null) return navigate(['customers', value]);
    try {
      const { customers } = await getJson<{ customers: Profile[] }>(
        `/v1/customers${query({ [by]: value })}`,
      );
      if (customers.length === 1 && customers[0]!.customerId)
        navigate(['customers', customers[0]!.customerId]);
      else setMatches(customers);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  return (
    <>
      <form
        class="lookup"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          void find();
        }}
      >
        <label>
          Customer id, email or phone
          <input name="q" value={text} onInput={(event) => setText(event.currentTarget.value)} />
        </label>
        <button type="submit">Find</button>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {matches !== null && matches.length === 0 ? (
        <p class="muted">No customer has that value.</p>
      ) : null}
      {matches !== null && matches.length > 1 ? (
        <ul>
          {matches.map((m) => (
            <li>
              <a href={href(['customers', m.customerId ?? ''])}>{m.customerId}</a>
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

/** An anonymous id linked to the customer, with the admin's way to undo a wrong link. */
function Unlink(props: { customerId: string; anonymousId: string }) {
  const [state, setState] = useState<string | null>(null);
  const unlink = async () => {
    if (!confirm(`Unlink ${props.anonymousId} from ${props.customerId}?`)) return;
    try {
      await sendJson(
        'DELETE',
        `/v1/customers/${encodeURIComponent(props.customerId)}/links/${encodeURIComponent(props.anonymousId)}`,
      );
      setState('unlinked');
    } catch (failure) {
      setState(failure instanceof Error ? failure.message : String(failure));
    }
  };
  return (
    <div>
      <code>{props.anonymousId}</code>{' '}
      {state ?? (
        <button type="button" class="link" onClick={() => void unlink()}>
          Unlink (admin)
        </button>
      )}
    </div>
  );
}

function ProfileCard(props: { profile: Profile }) {
  const { profile } = props;
  const { stats } = profile;
  const money = (value: number) => formatMoney(value, profile.currency);
  return (
    <>
      <Stats>
        <Stat id="lifecycle" label="lifecycle" value={profile.lifecycle} />
        <Stat id="profile-orders" label="orders" value={formatCount(stats.orders)} />
        <Stat id="profile-revenue" label="revenue" value={money(stats.revenue)} />
        <Stat id="profile-net-revenue" label="net revenue" value={money(stats.netRevenue)} />
        <Stat id="profile-events" label="events" value={formatCount(stats.events)} />
        <Stat id="profile-visits" label="visit days" value={formatCount(stats.visits)} />
      </Stats>
      <div class="grid">
        <Section title="Traits">
          <dl class="pairs" data-testid="traits">
            {Object.entries(profile.traits).map(([name, value]) => (
              <>
                <dt>{name}</dt>
                <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
              </>
            ))}
            <dt>anonymous ids</dt>
            <dd>
              {profile.anonymousIds.length === 0
                ? '—'
                : profile.anonymousIds.map((anonymousId) => (
                    <Unlink customerId={profile.customerId ?? ''} anonymousId={anonymousId} />
                  ))}
            </dd>
            <dt>first seen</dt>
            <dd>{formatInstant(stats.firstSeen)}</dd>
            <dt>last seen</dt>
            <dd>{formatInstant(stats.lastSeen)}</dd>
          </dl>
        </Section>
        <Section title="Scores">
          <dl class="pairs">
            <dt>RFM</dt>
            <dd data-testid="rfm-score">
              {profile.rfm ? `${profile.rfm.score} · ${profile.rfm.segment}` : 'not scored'}
            </dd>
            <dt>CLV</dt>
            <dd data-testid="clv">{profile.clv ? money(profile.clv.clv) : 'not scored'}</dd>
            <dt>P(alive)</dt>
            <dd>{profile.clv ? formatShare(profile.clv.pAlive) : '—'}</dd>
            <dt>expected orders</dt>
            <dd>{profile.clv ? formatNumber(profile.clv.expectedOrders) : '—'}</dd>
            <dt>cluster</dt>
            <dd data-testid="cluster">
              {profile.cluster ? `${profile.cluster.cluster} · ${profile.cluster.label}` : '—'}
            </dd>
            <dt>email</dt>
            <dd>
              {formatCount(stats.email.sent)} sent, {formatCount(stats.email.opened)} opened,{' '}
              {formatCount(stats.email.clicked)} clicked
            </dd>
          </dl>
        </Section>
        <Section title="Segments">
          <Table
            id="profile-segments"
            columns={[
              { label: 'segment', value: (s) => <a href={href(['segments', s.id])}>{s.name}</a> },
              { label: 'since', value: (s) => formatInstant(s.since) },
              {
                label: 'why',
                value: (s) =>
                  profile.customerId ? (
                    <a href={href(['segments', s.id], { explain: profile.customerId })}>Why?</a>
                  ) : null,
              },
            ]}
            rows={profile.segments}
            empty="In no segment."
          />
        </Section>
      </div>
    </>
  );
}

// EVENT_TYPES of @rapport/schemas, written out: importing the value would bundle zod into the
// console ('' is "every type").
const TYPES = [
  '',
  'page_view',
  'click',
  'search',
  'email',
  'purchase',
  'refund',
  'identify',
  'interaction',
  'track',
];

/** The customer's events, newest first, a page at a time, filtered by type on the page. */
function Timeline(props: { customerId: string }) {
  const [before, setBefore] = useState<string[]>([]);
  const [type, setType] = useState('');
  const cursor = before.at(-1);
  const state = useApi<TimelineResponse>(
    `/v1/customers/${encodeURIComponent(props.customerId)}/events${query({ limit: 50, before: cursor })}`,
  );
  return (
    <Section title="Timeline">
      <label class="inline">
        Type
        <select name="type" value={type} onChange={(event) => setType(event.currentTarget.value)}>
          {TYPES.map((t) => (
            <option value={t}>{t || 'all'}</option>
          ))}
        </select>
      </label>
      <Loading state={state}>
        {(page) => (
          <>
            <Table
              id="timeline"
              columns={[
                { label: 'when', value: (e) => formatInstant(e.timestamp) },
                { label: 'type', value: (e) => e.type },
                { label: 'channel', value: (e) => e.channel },
                {
                  label: 'details',
                  value: (e) => <code>{JSON.stringify(e.properties).slice(0, 160)}</code>,
                },
              ]}
              rows={page.events.filter((e) => type === '' || e.type === type)}
              empty="No event on this page."
            />
            <div class="pager">
              <button
                type="button"
                disabled={before.length === 0}
                onClick={() => setBefore(before.slice(0, -1))}
              >
                Newer
              </button>
              <button
                type="button"
                disabled={page.next === null}
                onClick={() => page.next && setBefore([...before, page.next])}
              >
                Older
              </button>
            </div>
          </>
        )}
      </Loading>
    </Section>
  );
}

export function CustomerPage(props: { route: Route }) {
  const id = props.route.path[1];
  const state = useApi<Profile>(id ? `/v1/customers/${encodeURIComponent(id)}` : null);
  return (
    <>
      <h1>Customer 360</h1>
      <Lookup initial={id ?? ''} />
      {id ? (
        <>
          <h2 class="subject" data-testid="customer-id">
            {id}
          </h2>
          <Loading state={state}>{(profile) => <ProfileCard profile={profile} />}</Loading>
          <Timeline customerId={id} />
        </>
      ) : null}
    </>
  );
}
