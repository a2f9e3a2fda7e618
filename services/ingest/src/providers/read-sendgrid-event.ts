import {
  CAMPAIGN_ID_ARGS,
  CUSTOMER_ID_ARGS,
  firstString,
  type ProviderEmailEvent,
  type ReadResult,
} from './provider-email-event.js';

/**
 * SendGrid event names → email actions. `dropped` (SendGrid would not send: a suppressed or
 * invalid address) counts as a bounce, as the mail never arrived. `deferred` is a retry still
 * under way and `group_resubscribe` has no action of its own: both are skipped.
 */
const ACTIONS: Readonly<Record<string, ProviderEmailEvent['action']>> = {
  processed: 'sent',
  delivered: 'delivered',
  open: 'opened',
  click: 'clicked',
  bounce: 'bounced',
  dropped: 'bounced',
  spamreport: 'complained',
  unsubscribe: 'unsubscribed',
  group_unsubscribe: 'unsubscribed',
};

function campaignOf(raw: Record<string, unknown>): string {
  const category: unknown = Array.isArray(raw.category) ? raw.category[0] : raw.category;
  return (
    firstString(raw, [...CAMPAIGN_ID_ARGS, 'marketing_campaign_id', 'singlesend_id']) ??
    (typeof category === 'string' && category !== '' ? category : 'unattributed')
  );
}

/** One object of a SendGrid Event Webhook post. Custom arguments arrive as top-level fields. */
export function readSendgridEvent(raw: unknown): ReadResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, skip: 'not an event object' };
  }
  const event = raw as Record<string, unknown>;
  const name = typeof event.event === 'string' ? event.event : '';
  const action = ACTIONS[name];
  if (action === undefined) return { ok: false, skip: `event "${name}" is not recorded` };
  if (typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp)) {
    return { ok: false, skip: 'timestamp must be a number of seconds' };
  }
  const details: Record<string, string> = { providerEvent: name };
  // The bounce class, not the SMTP reason text: that text often quotes the address.
  if (typeof event.type === 'string') details.bounceType = event.type;
  return {
    ok: true,
    event: {
      provider: 'sendgrid',
      providerEventId: firstString(event, ['sg_event_id']),
      action,
      time: Math.round(event.timestamp * 1000),
      campaignId: campaignOf(event),
      messageId: firstString(event, ['sg_message_id']),
      linkUrl: action === 'clicked' ? firstString(event, ['url']) : undefined,
      customerId: firstString(event, CUSTOMER_ID_ARGS),
      email: firstString(event, ['email']),
      details,
    },
  };
}
