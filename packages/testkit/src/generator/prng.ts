/**
 * A small seeded pseudo-random number generator (xoshiro128**, 128 bits of state), so that the
 * same seed gives the same sequence on every machine and Node version.
 *
 * Every stream is keyed by a list of integers (the seed, then e.g. a person's index), so each
 * person's events can be drawn on their own, in any order, without drawing anyone else's.
 */

const TWO_POW_32 = 4_294_967_296;

/** MurmurHash3's finaliser: spreads every input bit over the whole 32-bit word. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Splits a safe integer (negative too) into 32-bit words for hashing. */
function wordsOf(key: number): [number, number] {
  if (!Number.isSafeInteger(key))
    throw new RangeError(`a random stream key must be a safe integer, got ${key}`);
  const magnitude = Math.abs(key);
  const high = Math.floor(magnitude / TWO_POW_32) + (key < 0 ? 0x200000 : 0);
  return [magnitude >>> 0, high >>> 0];
}

/** Four state words, each its own hash of all the keys, so distinct keys give distinct streams. */
function stateOf(keys: readonly number[]): [number, number, number, number] {
  const words = keys.flatMap(wordsOf);
  const state = [0, 0, 0, 0].map((_, lane) => {
    let h = fmix32(0x9e3779b9 * (lane + 1));
    for (const word of words) h = fmix32(Math.imul(h ^ word, 0x01000193) + lane);
    return fmix32(h ^ words.length);
  }) as [number, number, number, number];
  // xoshiro must not start from all zeros.
  if (state.every((word) => word === 0)) state[0] = 0x9e3779b9;
  return state;
}

export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** A stream keyed by `keys`: e.g. `new Random(seed, personIndex)`. */
  constructor(...keys: number[]) {
    [this.#a, this.#b, this.#c, this.#d] = stateOf(keys);
  }

  /** A stream starting from raw xoshiro128** state words (for checks against reference output). */
  static fromState(a: number, b: number, c: number, d: number): Random {
    const random = new Random();
    random.#a = a | 0;
    random.#b = b | 0;
    random.#c = c | 0;
    random.#d = d | 0;
    return random;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** A uniform number in the open interval (0, 1): never 0, so `Math.log` of it is finite. */
  next(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }

  /** A uniform number in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** A uniform integer in [min, max] (both included). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** true with the given probability. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

function rotl(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

/**
 * Draws indices in proportion to fixed weights in O(log n) per draw (cumulative sums and a
 * binary search).
 */
export class WeightedTable<T> {
  readonly #items: readonly T[];
  readonly #cumulative: number[];

  constructor(entries: readonly (readonly [T, number])[]) {
    const usable = entries.filter(([, weight]) => weight > 0);
    if (usable.length === 0) throw new RangeError('a weighted table needs a positive weight');
    let total = 0;
    this.#items = usable.map(([item]) => item);
    this.#cumulative = usable.map(([, weight]) => (total += weight));
  }

  get items(): readonly T[] {
    return this.#items;
  }

  draw(random: Random): T {
    const cumulative = this.#cumulative;
    const target = random.next() * (cumulative[cumulative.length - 1] ?? 0);
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] ?? 0) <= target) low = middle + 1;
      else high = middle;
    }
    return this.#items[low] as T;
  }
}
