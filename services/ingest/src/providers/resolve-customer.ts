import type { ProviderEmailEvent } from './provider-email-event.js';

/** Customers whose email trait is this address (case-insensitive). */
export type FindCustomersByEmail = (email: string) => Promise<readonly string[]>;

export type Resolution = { ok: true; customerId: string } | { ok: false; skip: string };

/**
 * The customer a provider event is about: the customer id the sender put in the custom
 * arguments, else the one customer whose email trait is the recipient. Reasons never quote
 * the address: they end up in answers and logs.
 */
export async function resolveCustomer(
  event: ProviderEmailEvent,
  findByEmail: FindCustomersByEmail | undefined,
): Promise<Resolution> {
  if (event.customerId !== undefined) return { ok: true, customerId: event.customerId };
  if (event.email === undefined) {
    return { ok: false, skip: 'no customer id in the custom arguments and no recipient' };
  }
  if (findByEmail === undefined) {
    return {
      ok: false,
      skip: 'no customer id in the custom arguments (this service cannot look up email traits)',
    };
  }
  const found = await findByEmail(event.email);
  if (found.length === 1) return { ok: true, customerId: found[0]! };
  return {
    ok: false,
    skip:
      found.length === 0
        ? 'no customer id in the custom arguments and no customer has the recipient as email trait'
        : `no customer id in the custom arguments and ${found.length} customers have the recipient as email trait`,
  };
}
