/**
 * The marketing reports computed again in TypeScript, straight from the events a test sent:
 * an independent check of the SQL in packages/reports, written from the definitions in the
 * README rather than from the queries.
 */
import type { EventInput } from '@rapport/schemas';

const DAY = 86_400_000;
const VISIT_TYPES = new Set(['page_view', 'click', 'search', 'purchase', 'interaction', 'track']);
const STAGES = ['visitor', 'lead', 'customer', 'repeat', 'lapsed'];

export interface ModelEvent {
  id: string;
  profile: string;
  identified: boolean;
  type: string;
  channel: string;
  at: number;
  amount: number;
  tag: { source: string; medium: string; name: string };
  properties: Record<string, unknown>;
}

type Loose = Record<string, unknown>;
const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** Each event with the profile it belongs to once every identify link is applied. */
export function modelEvents(events: readonly EventInput[]): ModelEvent[] {
  const links = new Map<string, { at: number; id: string; customerId: string }>();
  for (const raw of events) {
    const event = raw as unknown as Loose;
    const anonymousId = str(event.anonymousId);
    const customerId = str(event.customerId);
    if (event.type !== 'identify' || anonymousId === '' || customerId === '') continue;
    const at = Date.parse(str(event.timestamp));
    const id = str(event.eventId);
    const seen = links.get(anonymousId);
    if (!seen || at > seen.at || (at === seen.at && id > seen.id)) {
      links.set(anonymousId, { at, id, customerId });
    }
  }
  return events.map((raw) => {
    const event = raw as unknown as Loose;
    const customerId = str(event.customerId);
    const owner = links.get(str(event.anonymousId))?.customerId;
    const profile =
      customerId !== '' ? `c:${customerId}` : owner ? `c:${owner}` : `a:${str(event.anonymousId)}`;
    const properties = (event.properties ?? {}) as Loose;
    const campaign = ((event.context as Loose | undefined)?.campaign ?? {}) as Loose;
    if (typeof event.channel !== 'string') throw new Error(`no channel: ${str(event.eventId)}`);
    return {
      id: str(event.eventId),
      profile,
      identified: customerId !== '',
      type: str(event.type),
      channel: event.channel,
      at: Date.parse(str(event.timestamp)),
      amount: Number(
        event.type === 'purchase'
          ? properties.revenue
          : event.type === 'refund'
            ? properties.amount
            : 0,
      ),
      tag: { source: str(campaign.source), medium: str(campaign.medium), name: str(campaign.name) },
      properties,
    };
  });
}

export interface Range {
  from: number;
  to: number;
}

const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);
const mondayOf = (at: number) => {
  const day = Math.floor(at / DAY);
  // 1970-01-01 was a Thursday: day 4 of a Monday-started week counting from 1969-12-29.
  return dayOf((day - ((day + 3) % 7)) * DAY);
};
const monthOf = (at: number) => `${dayOf(at).slice(0, 7)}-01`;
export const cents = (value: number) => Math.round(value * 100) / 100;
const inRange = (at: number, range: Range) => at >= range.from && at < range.to;

function countBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function distinctBy(events: ModelEvent[], key: (event: ModelEvent) => string) {
  const sets = new Map<string, Set<string>>();
  for (const event of events) {
    const set = sets.get(key(event)) ?? new Set();
    set.add(event.profile);
    sets.set(key(event), set);
  }
  return new Map([...sets].map(([k, set]) => [k, set.size]));
}

export function overviewModel(events: ModelEvent[], range: Range, channel?: string) {
  const selected = events.filter(
    (e) => inRange(e.at, range) && (channel === undefined || e.channel === channel),
  );
  const firstOrder = new Map<string, number>();
  for (const e of events) {
    if (e.type !== 'purchase') continue;
    firstOrder.set(e.profile, Math.min(firstOrder.get(e.profile) ?? Infinity, e.at));
  }
  const ordering = selected.filter((e) => e.type === 'purchase');
  const orderingProfiles = new Set(ordering.map((e) => e.profile));
  const perDay = new Map<string, { new: Set<string>; returning: Set<string> }>();
  for (const e of ordering) {
    const day = dayOf(e.at);
    const entry = perDay.get(day) ?? { new: new Set(), returning: new Set() };
    (dayOf(firstOrder.get(e.profile)!) === day ? entry.new : entry.returning).add(e.profile);
    perDay.set(day, entry);
  }
  const sum = (type: string, day?: string) =>
    selected
      .filter((e) => e.type === type && (day === undefined || dayOf(e.at) === day))
      .reduce((total, e) => total + e.amount, 0);
  return {
    events: selected.length,
    eventsByKey: countBy(selected, (e) => `${dayOf(e.at)}|${e.type}|${e.channel}`),
    activeProfiles: new Set(selected.map((e) => e.profile)).size,
    daily: distinctBy(selected, (e) => dayOf(e.at)),
    weekly: distinctBy(selected, (e) => mondayOf(e.at)),
    monthly: distinctBy(selected, (e) => monthOf(e.at)),
    orders: ordering.length,
    revenue: sum('purchase'),
    refunded: sum('refund'),
    revenueOn: (day: string) => cents(sum('purchase', day)),
    refundedOn: (day: string) => cents(sum('refund', day)),
    newCustomers: [...orderingProfiles].filter((p) => firstOrder.get(p)! >= range.from).length,
    returningCustomers: [...orderingProfiles].filter((p) => firstOrder.get(p)! < range.from).length,
    customersOn: (day: string) => ({
      new: perDay.get(day)?.new.size ?? 0,
      returning: perDay.get(day)?.returning.size ?? 0,
    }),
  };
}

function stageAt(
  profile: string,
  events: ModelEvent[],
  at: number,
  lapsedMs: number,
): string | null {
  const before = events.filter((e) => e.at < at);
  if (before.length === 0) return null;
  const identified = before.some((e) => e.identified);
  if (profile.startsWith('a:') || !identified) return 'visitor';
  if (Math.max(...before.map((e) => e.at)) < at - lapsedMs) return 'lapsed';
  const orders = before.filter((e) => e.type === 'purchase').length;
  return orders === 0 ? 'lead' : orders === 1 ? 'customer' : 'repeat';
}

export function lifecycleModel(events: ModelEvent[], range: Range, lapsedAfterDays: number) {
  const byProfile = new Map<string, ModelEvent[]>();
  for (const e of events) byProfile.set(e.profile, [...(byProfile.get(e.profile) ?? []), e]);
  const flows = new Map<string, number>();
  const prospects = new Map<string, { visitors: number; leads: number }>();
  for (const [profile, own] of byProfile) {
    const end = stageAt(profile, own, range.to, lapsedAfterDays * DAY);
    if (end === null) continue;
    const start = stageAt(profile, own, range.from, lapsedAfterDays * DAY) ?? 'new';
    flows.set(`${start}>${end}`, (flows.get(`${start}>${end}`) ?? 0) + 1);
    const active = own.some((e) => inRange(e.at, range));
    if (!active || (end !== 'visitor' && end !== 'lead')) continue;
    const first = own
      .filter((e) => e.at < range.to)
      .reduce((a, b) => (b.at < a.at || (b.at === a.at && b.id < a.id) ? b : a));
    const key = `${first.channel}|${first.tag.source}|${first.tag.medium}`;
    const entry = prospects.get(key) ?? { visitors: 0, leads: 0 };
    if (end === 'visitor') entry.visitors++;
    else entry.leads++;
    prospects.set(key, entry);
  }
  const stages = STAGES.map((stage) => ({
    stage,
    start: [...flows].filter(([k]) => k.split('>')[0] === stage).reduce((s, [, n]) => s + n, 0),
    end: [...flows].filter(([k]) => k.split('>')[1] === stage).reduce((s, [, n]) => s + n, 0),
  }));
  return { flows, stages, prospects };
}

interface Visit {
  profile: string;
  channel: string;
  orders: number;
  revenue: number;
  tag: string;
}

export function channelsModel(events: ModelEvent[], range: Range) {
  const visits = new Map<string, Visit & { tagAt: [number, string] | null }>();
  for (const e of events) {
    if (!inRange(e.at, range) || !VISIT_TYPES.has(e.type)) continue;
    const key = `${e.profile}|${dayOf(e.at)}|${e.channel}`;
    const visit = visits.get(key) ?? {
      profile: e.profile,
      channel: e.channel,
      orders: 0,
      revenue: 0,
      tag: '||',
      tagAt: null,
    };
    if (e.type === 'purchase') {
      visit.orders++;
      visit.revenue += e.amount;
    }
    const tagged = e.tag.source !== '' || e.tag.medium !== '' || e.tag.name !== '';
    const earlier =
      visit.tagAt === null ||
      e.at < visit.tagAt[0] ||
      (e.at === visit.tagAt[0] && e.id < visit.tagAt[1]);
    if (tagged && earlier) {
      visit.tag = `${e.tag.source}|${e.tag.medium}|${e.tag.name}`;
      visit.tagAt = [e.at, e.id];
    }
    visits.set(key, visit);
  }
  const figures = (group: Visit[]) => ({
    visits: group.length,
    profiles: new Set(group.map((v) => v.profile)).size,
    identified: new Set(group.filter((v) => v.profile.startsWith('c:')).map((v) => v.profile)).size,
    orders: group.reduce((s, v) => s + v.orders, 0),
    revenue: cents(group.reduce((s, v) => s + v.revenue, 0)),
    conversionRate: group.filter((v) => v.orders > 0).length / group.length,
  });
  const groupBy = (key: (visit: Visit) => string) => {
    const groups = new Map<string, Visit[]>();
    for (const visit of visits.values()) {
      groups.set(key(visit), [...(groups.get(key(visit)) ?? []), visit]);
    }
    return new Map([...groups].map(([k, group]) => [k, figures(group)]));
  };
  return { byChannel: groupBy((v) => v.channel), byTag: groupBy((v) => v.tag) };
}

export function campaignsModel(events: ModelEvent[], range: Range, attributionDays: number) {
  const emails = events.filter((e) => e.type === 'email');
  const campaignOf = (e: ModelEvent) => str(e.properties.campaignId);
  const actionOf = (e: ModelEvent) => str(e.properties.action);
  const firstSent = new Map<string, number>();
  for (const e of emails) {
    if (actionOf(e) !== 'sent') continue;
    firstSent.set(campaignOf(e), Math.min(firstSent.get(campaignOf(e)) ?? Infinity, e.at));
  }
  const selected = new Set([...firstSent].filter(([, at]) => inRange(at, range)).map(([c]) => c));
  const recipients = distinctBy(
    emails.filter((e) => selected.has(campaignOf(e))),
    (e) => `${campaignOf(e)}|${actionOf(e)}`,
  );
  const clicks = emails.filter((e) => actionOf(e) === 'clicked');
  const attributed = new Map<string, { profiles: Set<string>; orders: number; revenue: number }>();
  for (const order of events.filter((e) => e.type === 'purchase')) {
    const last = clicks
      .filter((c) => c.profile === order.profile && c.at <= order.at)
      .reduce<ModelEvent | null>((a, b) => (a === null || b.at > a.at ? b : a), null);
    if (last === null || order.at - last.at > attributionDays * DAY) continue;
    const entry = attributed.get(campaignOf(last)) ?? {
      profiles: new Set(),
      orders: 0,
      revenue: 0,
    };
    entry.profiles.add(order.profile);
    entry.orders++;
    entry.revenue += order.amount;
    attributed.set(campaignOf(last), entry);
  }
  return [...selected].map((campaignId) => {
    const n = (action: string) => recipients.get(`${campaignId}|${action}`) ?? 0;
    const orders = attributed.get(campaignId);
    return {
      campaignId,
      firstSentAt: new Date(firstSent.get(campaignId)!).toISOString(),
      sent: n('sent'),
      delivered: n('delivered'),
      opened: n('opened'),
      clicked: n('clicked'),
      bounced: n('bounced'),
      unsubscribed: n('unsubscribed'),
      complained: n('complained'),
      ordered: orders?.profiles.size ?? 0,
      orders: orders?.orders ?? 0,
      revenue: cents(orders?.revenue ?? 0),
    };
  });
}

export function cohortsModel(events: ModelEvent[], range: Range, granularity: 'month' | 'week') {
  const orders = events.filter((e) => e.type === 'purchase' && e.at < range.to);
  const first = new Map<string, number>();
  for (const e of orders) first.set(e.profile, Math.min(first.get(e.profile) ?? Infinity, e.at));
  const periodOf = granularity === 'month' ? monthOf : mondayOf;
  const offset = (cohort: string, at: number) => {
    const period = periodOf(at);
    if (granularity === 'week')
      return Math.round((Date.parse(period) - Date.parse(cohort)) / (7 * DAY));
    const [y1, m1] = cohort.split('-').map(Number);
    const [y2, m2] = period.split('-').map(Number);
    return (y2! - y1!) * 12 + (m2! - m1!);
  };
  const cohorts = new Map<string, Map<number, { profiles: Set<string>; revenue: number }>>();
  for (const e of orders) {
    const firstAt = first.get(e.profile)!;
    if (firstAt < range.from) continue;
    const cohort = periodOf(firstAt);
    const periods =
      cohorts.get(cohort) ?? new Map<number, { profiles: Set<string>; revenue: number }>();
    const k = offset(cohort, e.at);
    const entry = periods.get(k) ?? { profiles: new Set<string>(), revenue: 0 };
    entry.profiles.add(e.profile);
    entry.revenue += e.amount;
    periods.set(k, entry);
    cohorts.set(cohort, periods);
  }
  return cohorts;
}
