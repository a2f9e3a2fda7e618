import {
  CAMPAIGN_ID_ARGS,
  CUSTOMER_ID_ARGS,
  firstString,
  type ProviderEmailEvent,
  type ReadResult,
} from './provider-email-event.js';

const ACTIONS: Readonly<Record<string, ProviderEmailEvent['action']>> = {
  accepted: 'sent',
  delivered: 'delivered',
  opened: 'opened',
  clicked: 'clicked',
  failed: 'bounced',
  unsubscribed: 'unsubscribed',
  complained: 'complained',
};

const objectOf = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

function campaignOf(data: Record<string, unknown>, variables?: Record<string, unknown>) {
  const campaigns = Array.isArray(data.campaigns) ? data.campaigns : [];
  const tags = Array.isArray(data.tags) ? data.tags : [];
  const tag: unknown = tags[0];
  return (
    firstString(variables, CAMPAIGN_ID_ARGS) ??
    firstString(objectOf(campaigns[0]), ['id']) ??
    (typeof tag === 'string' && tag !== '' ? tag : 'unattributed')
  );
}

/**
 * The `event-data` of a Mailgun webhook. A temporary failure is a retry still under way and
 * is skipped; a permanent one (or one without a severity) is a bounce.
 */
export function readMailgunEvent(raw: unknown): ReadResult {
  const data = objectOf(raw);
  if (data === undefined) return { ok: false, skip: 'event-data is missing' };
  const name = typeof data.event === 'string' ? data.event : '';
  const action = ACTIONS[name];
  if (action === undefined) return { ok: false, skip: `event "${name}" is not recorded` };
  if (name === 'failed' && data.severity === 'temporary') {
    return { ok: false, skip: 'a temporary failure: Mailgun retries the delivery' };
  }
  if (typeof data.timestamp !== 'number' || !Number.isFinite(data.timestamp)) {
    return { ok: false, skip: 'timestamp must be a number of seconds' };
  }
  const variables = objectOf(data['user-variables']);
  const headers = objectOf(objectOf(data.message)?.headers);
  const details: Record<string, string> = { providerEvent: name };
  if (typeof data.severity === 'string') details.severity = data.severity;
  return {
    ok: true,
    event: {
      provider: 'mailgun',
      providerEventId: firstString(data, ['id']),
      action,
      time: Math.round(data.timestamp * 1000),
      campaignId: campaignOf(data, variables),
      messageId: firstString(headers, ['message-id']),
      linkUrl: action === 'clicked' ? firstString(data, ['url']) : undefined,
      customerId: firstString(variables, CUSTOMER_ID_ARGS),
      email: firstString(data, ['recipient']),
      details,
    },
  };
}
