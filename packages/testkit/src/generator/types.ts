import type { EventInput } from '@rapport/schemas';

/** What kind of person was generated. */
export type PersonRole = 'visitor' | 'subscriber' | 'buyer';

/** The buying process a buyer was drawn with, and what came of it (BG/NBD terms). */
export interface BuyerTruth {
  /** Repeat purchases per year while active (λ, drawn from the Gamma distribution). */
  lambdaPerYear: number;
  /** Chance of becoming inactive after each repeat purchase (p, drawn from the Beta distribution). */
  p: number;
  /** Purchases in the period, the first included. */
  orders: number;
  /** Purchases after the first (BG/NBD's x). */
  repeatOrders: number;
  firstPurchaseAt: string;
  lastPurchaseAt: string;
  /**
   * When the buyer silently became inactive: the time of the purchase after which they dropped
   * out. Absent when still active at the end of the period.
   */
  droppedOutAt?: string;
  /** Currency of all the buyer's orders. */
  currency: string;
  /** Sum of order revenue, in `currency`. */
  revenue: number;
  /** Refunds issued and their sum, in `currency`. */
  refunds: number;
  refunded: number;
  /** The median of this buyer's order values (in US dollars) they were drawn around. */
  medianOrderValueUsd: number;
  /** Share of purchases made in a store rather than online. */
  storeShare: number;
}

/** What a person was generated with: known only to the generator, for checking models. */
export interface CustomerTruth {
  /** The person's number, 0-based, in generation order. */
  index: number;
  role: PersonRole;
  /** Devices the person used (one, or two for some customers), in order of first use. */
  anonymousIds: string[];
  customerId?: string;
  email?: string;
  firstSeenAt: string;
  identifiedAt?: string;
  /** Subscribed to email campaigns. */
  subscribed: boolean;
  /** General satisfaction in [0, 1]; survey scores are drawn around it. */
  satisfaction: number;
  buyer?: BuyerTruth;
  /** Events generated for the person. */
  events: number;
}

/** One person's events in time order, with the truth they were drawn from. */
export interface GeneratedCustomer {
  index: number;
  events: EventInput[];
  truth: CustomerTruth;
}
