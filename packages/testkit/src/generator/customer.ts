import { buildCatalogue, type Catalogue, type Category } from './catalogue.js';
import { scheduleCampaigns, type EmailCampaign } from './campaigns.js';
import { beta, exponential, gamma, lognormal, normal, poisson } from './distributions.js';
import { emailFunnel } from './email.js';
import { drawStore, npsResponse, storeVisit, supportCase } from './offline.js';
import type { ResolvedOptions } from './options.js';
import { drawOrder, drawRefund, purchaseDraft, type Order } from './orders.js';
import { drawDevice, drawPerson, type Device, type Person } from './people.js';
import { Random, WeightedTable } from './prng.js';
import {
  browse,
  checkout,
  drawSteps,
  drawSource,
  landingPage,
  REFERRERS,
  Visit,
  type Campaign,
  type Shop,
  type VisitSource,
} from './sessions.js';
import { DAY, HOUR, isoSeconds, MINUTE, SECOND, YEAR } from './time.js';
import { Timeline, type Who } from './timeline.js';
import type { BuyerTruth, CustomerTruth, GeneratedCustomer, PersonRole } from './types.js';

/** Everything shared by all people of one generation: options, catalogue, campaigns. */
export interface World {
  options: ResolvedOptions;
  catalogue: Catalogue;
  campaigns: readonly EmailCampaign[];
  currencies: WeightedTable<string>;
  shop: Shop;
}

/** Keys that keep the random streams of people apart from the shared ones. */
const PERSON_STREAM = 1;

export function createWorld(options: ResolvedOptions): World {
  const catalogue = buildCatalogue(options.seed);
  return {
    options,
    catalogue,
    campaigns: scheduleCampaigns(
      options.seed,
      options.start,
      options.end,
      options.emailCampaignsPerMonth,
      catalogue,
    ),
    currencies: new WeightedTable(options.currencies),
    shop: { site: options.site, catalogue },
  };
}

/** A visit to come: when, and what it is for. */
type VisitPlan =
  | { at: number; kind: 'browse' }
  | { at: number; kind: 'identify' }
  | { at: number; kind: 'email'; campaign: EmailCampaign }
  | { at: number; kind: 'purchase'; order: Order; signUp: boolean };

/** Draws one person's life in the period and everything it leaves in the event stream. */
export function simulatePerson(world: World, index: number): GeneratedCustomer {
  const { options, catalogue, shop } = world;
  const { start, end, seed } = options;
  const random = new Random(seed, PERSON_STREAM, index);
  const timeline = new Timeline(start, end);
  const tag = `${seed}-${index}`;

  // Who: a passing visitor, a customer who signs up, or one who also buys.
  const identified = random.chance(options.identifyRate);
  const role: PersonRole = !identified
    ? 'visitor'
    : random.chance(options.buyerRate)
      ? 'buyer'
      : 'subscriber';
  const currency = world.currencies.draw(random);
  const person: Person = drawPerson(random, index, currency);
  const customerId = identified ? `cust-${tag}` : undefined;
  const primary = drawDevice(random);
  const favourite = catalogue.categoryShare.draw(random);
  const satisfaction = beta(random, 5, 2);
  const interest = (): Category =>
    random.chance(0.6) ? favourite : catalogue.categoryShare.draw(random);
  const inPeriod = (at: number) => Math.min(Math.max(at, start + HOUR), end - MINUTE);

  // When: identification and first purchase anchor everything else.
  let firstPurchaseAt: number | undefined;
  let identifiedAt: number | undefined;
  let signUpAtCheckout = false;
  if (role === 'buyer') {
    firstPurchaseAt = random.uniform(start + 2 * HOUR, end - HOUR);
    signUpAtCheckout = random.chance(0.35);
    identifiedAt = signUpAtCheckout
      ? firstPurchaseAt
      : inPeriod(firstPurchaseAt - exponential(random, 1 / (10 * DAY)));
  } else if (role === 'subscriber') {
    identifiedAt = random.uniform(start + 2 * HOUR, end - MINUTE);
  }
  const firstSeenAt =
    identifiedAt === undefined
      ? random.uniform(start, end)
      : random.chance(0.3)
        ? identifiedAt
        : inPeriod(identifiedAt - exponential(random, 1 / (12 * DAY)));

  // The buying process (BG/NBD): Poisson purchases at rate λ while active; after each repeat
  // purchase the buyer drops out for good with probability p.
  let buyer: BuyerTruth | undefined;
  const purchases: number[] = [];
  let activeUntil = end;
  const orders: { at: number; order: Order; inStore: boolean }[] = [];
  if (role === 'buyer' && firstPurchaseAt !== undefined) {
    const { shape, rate } = options.purchaseRate;
    const lambdaPerYear = gamma(random, shape, 1 / rate);
    const p = beta(random, options.dropout.a, options.dropout.b);
    purchases.push(firstPurchaseAt);
    let droppedOutAt: number | undefined;
    for (let at = firstPurchaseAt; purchases.length < 5000;) {
      at += exponential(random, Math.max(lambdaPerYear, 1e-9) / YEAR);
      if (at > end) break;
      purchases.push(at);
      if (random.chance(p)) {
        droppedOutAt = at;
        break;
      }
    }
    activeUntil = droppedOutAt ?? end;
    const logMedian =
      Math.log(options.orderValue.median) + normal(random, 0, options.orderValue.customerSigma);
    const storeShare = random.chance(0.15) ? random.uniform(0.3, 0.8) : 0;
    purchases.forEach((at, n) => {
      const target = lognormal(random, logMedian, options.orderValue.sigma);
      const order = drawOrder(random, catalogue, favourite, target, currency, `o-${tag}-${n + 1}`);
      const inStore = !(n === 0 && signUpAtCheckout) && random.chance(storeShare);
      orders.push({ at, order, inStore });
    });
    buyer = {
      lambdaPerYear,
      p,
      orders: purchases.length,
      repeatOrders: purchases.length - 1,
      firstPurchaseAt: isoSeconds(firstPurchaseAt),
      lastPurchaseAt: isoSeconds(purchases[purchases.length - 1] ?? firstPurchaseAt),
      ...(droppedOutAt === undefined ? {} : { droppedOutAt: isoSeconds(droppedOutAt) }),
      currency,
      revenue: Math.round(orders.reduce((sum, { order }) => sum + order.revenue, 0) * 100) / 100,
      refunds: 0,
      refunded: 0,
      medianOrderValueUsd: Math.round(Math.exp(logMedian) * 100) / 100,
      storeShare,
    };
  } else if (role === 'subscriber' && identifiedAt !== undefined) {
    activeUntil = Math.min(identifiedAt + exponential(random, 1 / (200 * DAY)), end);
  }

  // A second device (phone or laptop) for some customers, signed in on first use.
  const second: Device | undefined =
    identified && random.chance(0.3)
      ? drawDevice(
          random,
          primary.kind === 'desktop' ? (random.chance(0.5) ? 'app' : 'phone') : 'desktop',
        )
      : undefined;
  const secondFrom =
    identifiedAt === undefined ? Infinity : identifiedAt + exponential(random, 1 / (45 * DAY));
  let secondSignedIn = false;

  // Email: most customers subscribe; clicks bring them back to the shop.
  const subscribed = customerId !== undefined && identifiedAt !== undefined && random.chance(0.85);
  const plans: VisitPlan[] = [];
  if (subscribed && customerId !== undefined && identifiedAt !== undefined) {
    const clicks = emailFunnel(
      random,
      timeline,
      world.campaigns,
      {
        customerId,
        messagePrefix: `m-${tag}`,
        from: identifiedAt,
        reach: 0.9,
        openRate: beta(random, 2, 5),
        clickRate: beta(random, 1.5, 8),
        engagedUntil: activeUntil,
        badAddress: random.chance(0.02),
      },
      shop.site,
    );
    for (const click of clicks) {
      plans.push({
        at: click.at + random.int(20, 180) * SECOND,
        kind: 'email',
        campaign: click.campaign,
      });
    }
  }

  // Visits: before signing up, the sign-up itself, purchases, and browsing while active.
  if (identifiedAt === undefined) {
    let at = firstSeenAt;
    for (let more = poisson(random, 0.8); ; more--) {
      plans.push({ at, kind: 'browse' });
      at += exponential(random, 1 / (9 * DAY));
      if (more <= 0 || at > end) break;
    }
  } else {
    if (firstSeenAt < identifiedAt - 10 * MINUTE) {
      plans.push({ at: firstSeenAt, kind: 'browse' });
      const span = identifiedAt - firstSeenAt;
      const extra = poisson(random, Math.min(span / (10 * DAY), 3));
      for (let n = 0; n < extra; n++) {
        plans.push({ at: firstSeenAt + random.uniform(0.05, 0.95) * span, kind: 'browse' });
      }
    }
    if (!signUpAtCheckout) plans.push({ at: identifiedAt, kind: 'identify' });
    const visitsPerYear =
      buyer !== undefined ? 1.5 * buyer.lambdaPerYear + 3 : gamma(random, 1.2, 6 / 1.2);
    for (let at = identifiedAt + exponential(random, visitsPerYear / YEAR); at < activeUntil;) {
      plans.push({ at, kind: 'browse' });
      at += exponential(random, visitsPerYear / YEAR) + HOUR;
    }
  }
  for (const { at, order, inStore } of orders) {
    if (!inStore) {
      plans.push({
        at,
        kind: 'purchase',
        order,
        signUp: signUpAtCheckout && at === firstPurchaseAt,
      });
    }
  }
  plans.sort((a, b) => a.at - b.at);

  const traits = {
    email: person.email,
    name: `${person.firstName} ${person.lastName}`,
    phone: person.phone,
  };
  const who = (device: Device, linked: boolean): Who =>
    linked && customerId !== undefined
      ? { customerId, anonymousId: device.anonymousId }
      : { anonymousId: device.anonymousId };

  for (const plan of plans) {
    const onSecond = second !== undefined && plan.at >= secondFrom && random.chance(0.5);
    const device = onSecond && second ? second : primary;
    const linked =
      customerId !== undefined &&
      identifiedAt !== undefined &&
      plan.at > identifiedAt &&
      (device === primary || secondSignedIn);
    const source: VisitSource = plan.kind === 'email' ? 'email' : drawSource(random);
    const visit = new Visit(
      shop,
      random,
      device,
      person.locale,
      who(device, linked),
      campaignOf(random, source, plan),
    );
    const focus =
      plan.kind === 'email'
        ? plan.campaign.category
        : plan.kind === 'purchase'
          ? (plan.order.lines[0]?.category ?? favourite)
          : interest();
    const landing =
      plan.kind === 'email'
        ? { kind: 'category' as const, category: focus }
        : landingPage(random, source, focus);
    visit.view(landing, REFERRERS[source]);
    if (customerId !== undefined && device === second && !secondSignedIn) {
      visit.wait(10);
      visit.click('sign-in', { kind: 'login' });
      visit.view({ kind: 'login' });
      visit.wait(20);
      visit.identify(customerId, { email: person.email }, 'logged_in');
      secondSignedIn = true;
    }
    switch (plan.kind) {
      case 'browse':
      case 'email':
        browse(visit, random, shop, focus, drawSteps(random));
        visit.commit(timeline, plan.at);
        break;
      case 'identify': {
        browse(visit, random, shop, focus, Math.min(drawSteps(random), 4));
        visit.wait(10);
        visit.click('sign-up', { kind: 'signup' });
        visit.view({ kind: 'signup' });
        visit.wait(60);
        const signedUpAt = visit.offset;
        if (customerId !== undefined) visit.identify(customerId, traits, 'signed_up');
        visit.wait(5);
        visit.view({ kind: 'account' });
        visit.commit(timeline, plan.at - signedUpAt);
        break;
      }
      case 'purchase': {
        browse(visit, random, shop, focus, Math.min(drawSteps(random), 3));
        const paidAt = checkout(visit, plan.order.lines, currency, () => {
          if (plan.signUp && customerId !== undefined) {
            visit.identify(customerId, traits, 'signed_up');
            visit.wait(20);
          }
          visit.emit(purchaseDraft(visit.who, visit.channel, plan.order));
        });
        visit.commit(timeline, plan.at - paidAt);
        break;
      }
    }
  }

  // Offline: purchases in stores, support cases, refunds, surveys.
  if (customerId !== undefined) {
    let tickets = 0;
    const ticketId = () => `t-${tag}-${++tickets}`;
    const store = drawStore(random);
    for (const { at, order, inStore } of orders) {
      if (inStore) {
        storeVisit(random, timeline, customerId, at - random.int(5, 40) * MINUTE, store);
        timeline.add(at, purchaseDraft({ customerId }, 'store', order, { storeId: store.storeId }));
      }
      if (random.chance(options.refundRate)) {
        const refundAt = at + random.uniform(2, 30) * DAY;
        if (random.chance(0.5)) {
          supportCase(
            random,
            timeline,
            customerId,
            refundAt - random.int(2, 72) * HOUR,
            ticketId(),
            satisfaction,
            order.orderId,
            'returns',
          );
        }
        const refund = drawRefund(random, { customerId }, order);
        if (buyer && timeline.add(refundAt, refund.draft)) {
          buyer.refunds++;
          buyer.refunded = Math.round((buyer.refunded + refund.amount) * 100) / 100;
        }
      } else if (random.chance(0.05)) {
        supportCase(
          random,
          timeline,
          customerId,
          at + exponential(random, 1 / (4 * DAY)) + HOUR,
          ticketId(),
          satisfaction,
          order.orderId,
        );
      }
    }
    const from = identifiedAt ?? start;
    const until = Math.min(activeUntil + 90 * DAY, end);
    const years = Math.max(until - from, 0) / YEAR;
    for (let n = poisson(random, 0.2 * years); n > 0; n--) {
      supportCase(
        random,
        timeline,
        customerId,
        random.uniform(from, until),
        ticketId(),
        satisfaction,
      );
    }
    if (buyer && buyer.storeShare > 0) {
      for (let n = poisson(random, 1.5 * years); n > 0; n--) {
        storeVisit(random, timeline, customerId, random.uniform(from, until), store);
      }
    }
    if (subscribed) {
      for (let n = poisson(random, 0.15 * years); n > 0; n--) {
        npsResponse(random, timeline, customerId, random.uniform(from, until), satisfaction);
      }
    }
  }

  const events = timeline.finish(`g-${tag}`);
  // The sign-up is the person's first identify event (signing in on a second device comes later).
  const signUp = events.find((event) => event.type === 'identify');
  const truth: CustomerTruth = {
    index,
    role,
    anonymousIds:
      second && secondSignedIn ? [primary.anonymousId, second.anonymousId] : [primary.anonymousId],
    ...(customerId === undefined ? {} : { customerId, email: person.email }),
    firstSeenAt: isoSeconds(Math.max(firstSeenAt, start)),
    ...(signUp === undefined ? {} : { identifiedAt: signUp.timestamp }),
    subscribed,
    satisfaction,
    ...(buyer === undefined ? {} : { buyer }),
    events: events.length,
  };
  return { index, events, truth };
}

/** Campaign parameters a visit from paid ads or an email arrives with. */
function campaignOf(random: Random, source: VisitSource, plan: VisitPlan): Campaign | undefined {
  if (plan.kind === 'email') {
    return { source: 'newsletter', medium: 'email', name: plan.campaign.campaignId };
  }
  if (source === 'ads') {
    return {
      source: 'google',
      medium: 'cpc',
      name: random.pick(['brand-search', 'shopping', 'retargeting']),
    };
  }
  if (source === 'social' && random.chance(0.5)) {
    return {
      source: 'social',
      medium: 'social',
      name: random.pick(['spring-lookbook', 'creator-picks', 'giveaway']),
    };
  }
  return undefined;
}
