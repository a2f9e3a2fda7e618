import type { Random } from './prng.js';

/** Who a generated person is: name, contact details, locale and devices. */

const FIRST_NAMES = [
  'ada',
  'alan',
  'amara',
  'ana',
  'ben',
  'carla',
  'chen',
  'dara',
  'diego',
  'elena',
  'emeka',
  'eva',
  'farah',
  'felix',
  'grace',
  'hana',
  'hugo',
  'ines',
  'ivan',
  'jonas',
  'julia',
  'kai',
  'kenji',
  'lara',
  'leo',
  'lina',
  'luca',
  'maya',
  'marta',
  'nadia',
  'nils',
  'noor',
  'oscar',
  'priya',
  'rafael',
  'rosa',
  'sami',
  'sofia',
  'tariq',
  'theo',
  'uma',
  'victor',
  'wen',
  'yara',
  'zoe',
];

const LAST_NAMES = [
  'abbott',
  'alvarez',
  'bauer',
  'bianchi',
  'brown',
  'castro',
  'cohen',
  'dubois',
  'eriksen',
  'fischer',
  'garcia',
  'hansen',
  'hughes',
  'ito',
  'jansen',
  'kaur',
  'khan',
  'kim',
  'kowalski',
  'larsen',
  'lopez',
  'martin',
  'meyer',
  'moreau',
  'nakamura',
  'nguyen',
  'novak',
  'obi',
  'okafor',
  'patel',
  'petrov',
  'quinn',
  'rossi',
  'santos',
  'schmidt',
  'silva',
  'singh',
  'smith',
  'tanaka',
  'taylor',
  'walker',
  'weber',
  'wilson',
  'yilmaz',
  'zhang',
];

const MAIL_DOMAINS = ['example.com', 'example.net', 'example.org'];

/**
 * Where a person's currency suggests they live: locales, and a phone prefix from the numbers
 * set aside for fiction where the country has such a range, completed by `digits` digits.
 */
interface Region {
  locales: readonly string[];
  phone: string;
  digits: number;
}

const US: Region = {
  locales: ['en-US', 'en-US', 'en-US', 'es-US'],
  phone: '+1 202 555 01',
  digits: 2,
};

const REGIONS: Readonly<Record<string, Region>> = {
  USD: US,
  EUR: {
    locales: ['de-DE', 'fr-FR', 'es-ES', 'it-IT', 'nl-NL'],
    phone: '+49 30 23125 ',
    digits: 3,
  },
  GBP: { locales: ['en-GB'], phone: '+44 7700 900', digits: 3 },
  CAD: { locales: ['en-CA', 'fr-CA'], phone: '+1 613 555 01', digits: 2 },
  AUD: { locales: ['en-AU'], phone: '+61 491 570 ', digits: 3 },
  CHF: { locales: ['de-CH', 'fr-CH'], phone: '+41 44 668 18 ', digits: 2 },
  SEK: { locales: ['sv-SE'], phone: '+46 70 174 06', digits: 2 },
  JPY: { locales: ['ja-JP'], phone: '+81 3 1234 5', digits: 3 },
};

export interface Device {
  anonymousId: string;
  kind: 'desktop' | 'phone' | 'app';
  userAgent: string;
  ip: string;
}

export interface Person {
  firstName: string;
  lastName: string;
  locale: string;
  /** A unique address: the person's number is part of it. */
  email: string;
  phone: string;
}

const DESKTOP_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
];
const PHONE_AGENTS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36',
];
const APP_AGENTS = ['ShopExample/5.2 (iOS 17.4)', 'ShopExample/5.2 (Android 14)'];

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A person's details; `number` (unique within a seed) keeps the email address unique. */
export function drawPerson(random: Random, number: number, currency: string): Person {
  const firstName = random.pick(FIRST_NAMES);
  const lastName = random.pick(LAST_NAMES);
  const region = REGIONS[currency] ?? US;
  const suffix = String(random.int(0, 10 ** region.digits - 1)).padStart(region.digits, '0');
  return {
    firstName: capitalise(firstName),
    lastName: capitalise(lastName),
    locale: random.pick(region.locales),
    email: `${firstName}.${lastName}.${number}@${random.pick(MAIL_DOMAINS)}`,
    phone: `${region.phone}${suffix}`,
  };
}

/** A version-4-shaped UUID from the seeded stream: stable for the seed, unique in practice. */
export function drawUuid(random: Random): string {
  const hex = [0, 1, 2, 3].map((_) => random.nextUint32().toString(16).padStart(8, '0')).join('');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** An address from the ranges reserved for documentation (RFC 5737). */
function drawIp(random: Random): string {
  const network = random.pick(['192.0.2', '198.51.100', '203.0.113']);
  return `${network}.${random.int(1, 254)}`;
}

export function drawDevice(random: Random, kind?: Device['kind']): Device {
  const chosen = kind ?? (random.chance(0.55) ? 'desktop' : random.chance(0.8) ? 'phone' : 'app');
  const agents =
    chosen === 'desktop' ? DESKTOP_AGENTS : chosen === 'phone' ? PHONE_AGENTS : APP_AGENTS;
  return {
    anonymousId: drawUuid(random),
    kind: chosen,
    userAgent: random.pick(agents),
    ip: drawIp(random),
  };
}
