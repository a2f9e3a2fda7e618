import type { Catalogue, Category } from './catalogue.js';
import { Random } from './prng.js';
import { DAY, HOUR, MINUTE } from './time.js';

/** One email campaign, sent to every subscriber it reaches around the same time. */
export interface EmailCampaign {
  campaignId: string;
  /** Position in the schedule, part of each message id. */
  number: number;
  /** When sending starts (epoch ms). */
  at: number;
  /** The category its links lead to. */
  category: Category;
}

const THEMES = ['new-arrivals', 'weekly-picks', 'back-in-stock', 'members-offer', 'style-guide'];

/** A theme matching the season where there is one. */
function themeOf(at: number, random: Random): string {
  const date = new Date(at);
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  if (month === 10 && day >= 20) return 'black-friday';
  if (month === 11 && day <= 20) return 'holiday-gift-guide';
  if (month === 0 && day <= 20) return 'winter-sale';
  if (month === 5 || (month === 6 && day <= 15)) return 'summer-sale';
  if (month === 2 || month === 3) return 'spring-collection';
  return random.pick(THEMES);
}

/**
 * The campaigns of the period, evenly spread with some jitter, each sent mid-morning UTC.
 * Deterministic for the seed and the period.
 */
export function scheduleCampaigns(
  seed: number,
  start: number,
  end: number,
  perMonth: number,
  catalogue: Catalogue,
): EmailCampaign[] {
  if (perMonth <= 0) return [];
  const random = new Random(seed, 0x63616d70); // a stream of its own, apart from any person's
  const gap = (30.4375 * DAY) / perMonth;
  const campaigns: EmailCampaign[] = [];
  for (let at = start + gap / 2; at < end; at += gap) {
    const day = Math.floor((at + random.uniform(-0.2, 0.2) * gap) / DAY) * DAY;
    const sendAt = day + 9 * HOUR + random.int(0, 120) * MINUTE;
    if (sendAt < start || sendAt > end) continue;
    const date = new Date(sendAt).toISOString().slice(0, 10);
    const number = campaigns.length + 1;
    let campaignId = `${date}-${themeOf(sendAt, random)}`;
    // Frequent sending can put two campaigns of one theme on one day.
    if (campaigns.some((campaign) => campaign.campaignId === campaignId))
      campaignId += `-${number}`;
    campaigns.push({
      campaignId,
      number,
      at: sendAt,
      category: catalogue.categoryShare.draw(random),
    });
  }
  return campaigns;
}
