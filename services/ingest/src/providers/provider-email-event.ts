import { createHash } from 'node:crypto';
import type { EventInput } from '@rapport/schemas';

export type EmailProvider = 'sendgrid' | 'mailgun';

/** One provider event, read into Rapport's terms but not yet tied to a customer. */
export interface ProviderEmailEvent {
  provider: EmailProvider;
  /** The provider's own id of this event: a replay carries the same one. */
  providerEventId: string | undefined;
  action: 'sent' | 'delivered' | 'opened' | 'clicked' | 'bounced' | 'unsubscribed' | 'complained';
  /** Epoch milliseconds. */
  time: number;
  campaignId: string;
  messageId: string | undefined;
  linkUrl: string | undefined;
  /** The business's customer id, when the sender put one in the custom arguments. */
  customerId: string | undefined;
  /** The recipient, used only to find the customer; never stored. */
  email: string | undefined;
  /** Extra facts kept on the event (bounce class, provider event name). */
  details: Record<string, string>;
}

/** What a provider event became: a Rapport event, or why it is not one. */
export type ReadResult = { ok: true; event: ProviderEmailEvent } | { ok: false; skip: string };

/** Names a custom argument may carry the customer id under. */
export const CUSTOMER_ID_ARGS = ['customer_id', 'customerId', 'rapport_customer_id'] as const;
/** Names a custom argument may carry the campaign id under. */
export const CAMPAIGN_ID_ARGS = ['campaign_id', 'campaignId'] as const;

export const firstString = (
  source: Record<string, unknown> | undefined,
  names: readonly string[],
): string | undefined => {
  for (const name of names) {
    const value = source?.[name];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
};

/**
 * A deterministic event id, short enough for the 64-character limit whatever the provider's
 * id looks like: a replayed webhook is stored once. Without a provider id, ingest derives the
 * id from the content, which a replay repeats too.
 */
export function eventIdOf(event: ProviderEmailEvent): string | undefined {
  if (event.providerEventId === undefined) return undefined;
  const digest = createHash('sha256').update(event.providerEventId).digest('hex').slice(0, 40);
  return `${event.provider === 'sendgrid' ? 'sg' : 'mg'}-${digest}`;
}

/** The Rapport email event for a provider event whose customer is known. */
export function toRapportEvent(event: ProviderEmailEvent, customerId: string): EventInput {
  const eventId = eventIdOf(event);
  return {
    ...(eventId === undefined ? {} : { eventId }),
    type: 'email',
    customerId,
    timestamp: new Date(event.time).toISOString(),
    channel: 'email',
    properties: {
      action: event.action,
      campaignId: event.campaignId,
      ...(event.messageId === undefined ? {} : { messageId: event.messageId }),
      ...(event.linkUrl === undefined ? {} : { linkUrl: event.linkUrl }),
      provider: event.provider,
      ...event.details,
    },
  };
}
