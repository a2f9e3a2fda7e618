/** Who a profile key names: a customer (`c:<id>`) or a visitor no customer owns (`a:<id>`). */
export function memberOf(profileKey: string): {
  customerId: string | null;
  anonymousId: string | null;
} {
  const customer = profileKey.startsWith('c:');
  return {
    customerId: customer ? profileKey.slice(2) : null,
    anonymousId: customer ? null : profileKey.slice(2),
  };
}

export const isoOf = (epochMs: number) => new Date(epochMs).toISOString();
