import type { EmailCampaign } from './campaigns.js';
import { exponential } from './distributions.js';
import type { Random } from './prng.js';
import { HOUR, MINUTE, SECOND } from './time.js';
import type { Timeline } from './timeline.js';

/** How one subscriber deals with email. */
export interface Subscriber {
  customerId: string;
  /** Prefix of message ids, unique per person. */
  messagePrefix: string;
  /** Subscribed from (epoch ms). */
  from: number;
  /** Chance of being sent a given campaign. */
  reach: number;
  /** Chance of opening a delivered email while engaged… */
  openRate: number;
  /** …and of clicking a link in an opened one. */
  clickRate: number;
  /** After this instant (e.g. after silently dropping out) opens and clicks get rare. */
  engagedUntil: number;
  /** The address does not exist: the first send bounces and sending stops. */
  badAddress: boolean;
}

/** A click on a link in an email: where it leads and when, for the visit that follows. */
export interface EmailClick {
  at: number;
  campaign: EmailCampaign;
}

/**
 * The funnel of every campaign that reaches the subscriber: sent → delivered → opened →
 * clicked, with bounces, and an unsubscribe or complaint that ends it all. Returns the clicks.
 */
export function emailFunnel(
  random: Random,
  timeline: Timeline,
  campaigns: readonly EmailCampaign[],
  subscriber: Subscriber,
  site: string,
): EmailClick[] {
  const clicks: EmailClick[] = [];
  const { customerId } = subscriber;
  for (const campaign of campaigns) {
    if (campaign.at <= subscriber.from || !random.chance(subscriber.reach)) continue;
    const messageId = `${subscriber.messagePrefix}-${campaign.number}`;
    const email = (at: number, action: EmailAction, linkUrl?: string) =>
      timeline.add(at, {
        type: 'email',
        customerId,
        channel: 'email',
        properties: {
          action,
          campaignId: campaign.campaignId,
          messageId,
          ...(linkUrl === undefined ? {} : { linkUrl }),
        },
      });

    const sentAt = campaign.at + random.int(0, 7200) * SECOND;
    if (!email(sentAt, 'sent')) break;
    if (subscriber.badAddress) {
      email(sentAt + random.int(5, 120) * SECOND, 'bounced');
      break;
    }
    if (random.chance(0.015)) {
      email(sentAt + random.int(5, 600) * SECOND, 'bounced');
      continue;
    }
    const deliveredAt = sentAt + random.int(2, 90) * SECOND;
    email(deliveredAt, 'delivered');

    const engaged = deliveredAt <= subscriber.engagedUntil;
    let lastAt = deliveredAt;
    if (random.chance(subscriber.openRate * (engaged ? 1 : 0.25))) {
      const openedAt = deliveredAt + exponential(random, 1 / (5 * HOUR)) + 10 * SECOND;
      if (email(openedAt, 'opened')) {
        lastAt = openedAt;
        if (random.chance(subscriber.clickRate * (engaged ? 1 : 0.3))) {
          const clickedAt = openedAt + exponential(random, 1 / (2 * MINUTE)) + 5 * SECOND;
          const linkUrl = `${site}/c/${campaign.category.slug}?utm_source=newsletter&utm_medium=email&utm_campaign=${campaign.campaignId}`;
          if (email(clickedAt, 'clicked', linkUrl)) clicks.push({ at: clickedAt, campaign });
        }
      }
    }
    if (random.chance(0.0005)) {
      email(lastAt + random.int(10, 600) * SECOND, 'complained');
      break;
    }
    if (random.chance(engaged ? 0.003 : 0.012)) {
      email(lastAt + random.int(10, 3600) * SECOND, 'unsubscribed');
      break;
    }
  }
  return clicks;
}

type EmailAction =
  'sent' | 'delivered' | 'opened' | 'clicked' | 'bounced' | 'unsubscribed' | 'complained';
