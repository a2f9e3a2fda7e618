/**
 * Profile keys. A profile is an identified customer, `c:<customerId>` (its linked anonymous
 * ids merged in), or an anonymous visitor no customer owns, `a:<anonymousId>`. The same
 * prefixes name the id an event was sent under (the `customer_key` column of the event log
 * and its projections), which is why an anonymous key can belong to a customer's profile.
 */

import { customerKeyOf } from '@rapport/schemas';

const CUSTOMER = 'c:';
const ANONYMOUS = 'a:';

export type ProfileIds = { customerId: string } | { anonymousId: string };

/** The key of a customer's profile, or of an anonymous visitor's (as events are stored under). */
export function profileKey(ids: ProfileIds): string {
  return customerKeyOf(ids);
}

/** The keys a customer's events are stored under: their own and those of their anonymous ids. */
export function customerKeys(customerId: string, anonymousIds: readonly string[]): string[] {
  return [
    profileKey({ customerId }),
    ...anonymousIds.map((anonymousId) => profileKey({ anonymousId })),
  ];
}

/** Who a key names; throws on a string that is no profile key. */
export function parseProfileKey(key: string): {
  customerId: string | null;
  anonymousId: string | null;
} {
  if (key.startsWith(CUSTOMER)) return { customerId: key.slice(2), anonymousId: null };
  if (key.startsWith(ANONYMOUS)) return { customerId: null, anonymousId: key.slice(2) };
  throw new Error(`not a profile key: ${JSON.stringify(key)}`);
}

/**
 * SQL: the profile key of a row stored under `keyColumn` (`c:…` or `a:…`), where `ownerColumn`
 * holds the customer owning the row's anonymous id ('' or NULL when none does).
 */
export function profileKeySql(keyColumn: string, ownerColumn: string): string {
  return `if(startsWith(${keyColumn}, '${ANONYMOUS}') AND ifNull(${ownerColumn}, '') != '', concat('${CUSTOMER}', ${ownerColumn}), ${keyColumn})`;
}

/** SQL: the anonymous id of a key column, '' for a customer key (to join owners on). */
export function anonymousIdSql(keyColumn: string): string {
  return `if(startsWith(${keyColumn}, '${ANONYMOUS}'), substring(${keyColumn}, 3), '')`;
}
