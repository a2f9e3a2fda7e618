import { lognormal } from './distributions.js';
import { Random, WeightedTable } from './prng.js';

/** One product the shop sells; prices are in US dollars and converted per order. */
export interface CatalogueItem {
  sku: string;
  name: string;
  category: string;
  priceUsd: number;
}

export interface Category {
  slug: string;
  name: string;
  /** Items of the category, cheapest first. */
  items: readonly CatalogueItem[];
  /** Draws items of the category by popularity (a few bestsellers, a long tail). */
  popular: WeightedTable<CatalogueItem>;
  /** What people type into the search box when they look for this category. */
  searchTerms: readonly string[];
}

export interface Catalogue {
  categories: readonly Category[];
  /** Draws a category by how much it sells. */
  categoryShare: WeightedTable<Category>;
  items: readonly CatalogueItem[];
}

interface CategorySpec {
  slug: string;
  name: string;
  share: number;
  medianUsd: number;
  kinds: readonly string[];
  qualities: readonly string[];
}

const SKUS_PER_CATEGORY = 20;

/** Ten categories with typical prices; the products in each are drawn from the seed. */
const CATEGORIES: readonly CategorySpec[] = [
  {
    slug: 'shoes',
    name: 'Shoes',
    share: 14,
    medianUsd: 95,
    kinds: ['trail shoe', 'running shoe', 'sneaker', 'hiking boot', 'sandal', 'loafer'],
    qualities: ['lightweight', 'waterproof', 'classic', 'cushioned', 'leather', 'vegan'],
  },
  {
    slug: 'apparel',
    name: 'Apparel',
    share: 18,
    medianUsd: 45,
    kinds: ['t-shirt', 'hoodie', 'rain jacket', 'fleece', 'chinos', 'dress', 'beanie'],
    qualities: ['organic', 'merino', 'relaxed', 'slim', 'recycled', 'everyday'],
  },
  {
    slug: 'bags',
    name: 'Bags',
    share: 7,
    medianUsd: 70,
    kinds: ['backpack', 'tote', 'duffel', 'messenger bag', 'hip pack'],
    qualities: ['roll-top', 'canvas', 'commuter', 'travel', 'compact'],
  },
  {
    slug: 'outdoor',
    name: 'Outdoor',
    share: 9,
    medianUsd: 110,
    kinds: ['tent', 'sleeping bag', 'camp stove', 'headlamp', 'trekking poles', 'water filter'],
    qualities: ['ultralight', 'two-person', 'four-season', 'packable', 'rugged'],
  },
  {
    slug: 'electronics',
    name: 'Electronics',
    share: 12,
    medianUsd: 130,
    kinds: ['wireless headphones', 'bluetooth speaker', 'power bank', 'smartwatch', 'e-reader'],
    qualities: ['noise-cancelling', 'portable', 'fast-charging', 'pro', 'mini'],
  },
  {
    slug: 'home',
    name: 'Home',
    share: 11,
    medianUsd: 40,
    kinds: ['throw blanket', 'table lamp', 'ceramic vase', 'cushion cover', 'wall clock'],
    qualities: ['linen', 'handmade', 'minimalist', 'wool', 'oak'],
  },
  {
    slug: 'kitchen',
    name: 'Kitchen',
    share: 9,
    medianUsd: 35,
    kinds: ['chef knife', 'cast iron pan', 'coffee grinder', 'mug set', 'cutting board'],
    qualities: ['stainless', 'enamelled', 'burr', 'stoneware', 'bamboo'],
  },
  {
    slug: 'beauty',
    name: 'Beauty',
    share: 8,
    medianUsd: 22,
    kinds: ['face cream', 'shampoo', 'lip balm', 'serum', 'body wash', 'sunscreen'],
    qualities: ['fragrance-free', 'hydrating', 'travel-size', 'mineral', 'natural'],
  },
  {
    slug: 'books',
    name: 'Books',
    share: 6,
    medianUsd: 18,
    kinds: ['field guide', 'cookbook', 'novel', 'atlas', 'journal'],
    qualities: ['illustrated', 'paperback', 'hardcover', 'pocket', 'annotated'],
  },
  {
    slug: 'fitness',
    name: 'Fitness',
    share: 6,
    medianUsd: 30,
    kinds: ['yoga mat', 'kettlebell', 'resistance bands', 'jump rope', 'foam roller'],
    qualities: ['non-slip', 'adjustable', 'cork', 'weighted', 'studio'],
  },
];

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A shop price: a whole dollar amount minus a cent, between $2.99 and $1,999.99. */
function shopPrice(usd: number): number {
  const clamped = Math.min(Math.max(usd, 3), 2000);
  return Math.max(Math.round(clamped) - 0.01, 2.99);
}

function buildCategory(spec: CategorySpec, random: Random, index: number): Category {
  const names = spec.qualities.flatMap((quality) =>
    spec.kinds.map((kind) => `${capitalise(quality)} ${kind}`),
  );
  // A seeded shuffle, then the first twenty distinct names.
  for (let i = names.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [names[i], names[j]] = [names[j] as string, names[i] as string];
  }
  const items = names.slice(0, SKUS_PER_CATEGORY).map((name, n): CatalogueItem => ({
    sku: `sku-${spec.slug}-${String(index * 100 + n + 1).padStart(4, '0')}`,
    name,
    category: spec.slug,
    priceUsd: shopPrice(lognormal(random, Math.log(spec.medianUsd), 0.55)),
  }));
  // Popularity follows a Zipf-like law over a random ranking of the items.
  const ranks = items.map((_, n) => n + 1);
  for (let i = ranks.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [ranks[i], ranks[j]] = [ranks[j] as number, ranks[i] as number];
  }
  const popular = new WeightedTable(
    items.map((item, n) => [item, 1 / (ranks[n] as number)] as const),
  );
  const searchTerms = [
    ...spec.kinds,
    ...spec.kinds.map((kind) => `${random.pick(spec.qualities)} ${kind}`),
    spec.slug,
  ];
  return {
    slug: spec.slug,
    name: spec.name,
    items: items.sort((a, b) => a.priceUsd - b.priceUsd),
    popular,
    searchTerms,
  };
}

const cache = new Map<number, Catalogue>();

/** The shop's catalogue for a seed: ten categories of twenty items, the same for the same seed. */
export function buildCatalogue(seed: number): Catalogue {
  const cached = cache.get(seed);
  if (cached) return cached;
  const random = new Random(seed, 0x636174); // a stream of its own, apart from any person's
  const categories = CATEGORIES.map((spec, index) => buildCategory(spec, random, index));
  const catalogue: Catalogue = {
    categories,
    categoryShare: new WeightedTable(
      categories.map((category, index) => [category, CATEGORIES[index]?.share ?? 1] as const),
    ),
    items: categories.flatMap((category) => category.items),
  };
  if (cache.size >= 16) cache.clear();
  cache.set(seed, catalogue);
  return catalogue;
}

/** The item of `category` whose price is nearest to `usd`, give or take a neighbour. */
export function itemNear(category: Category, usd: number, random: Random): CatalogueItem {
  const { items } = category;
  let low = 0;
  let high = items.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((items[middle]?.priceUsd ?? 0) < usd) low = middle + 1;
    else high = middle;
  }
  if (low > 0 && usd - (items[low - 1]?.priceUsd ?? 0) < (items[low]?.priceUsd ?? 0) - usd) low--;
  const index = Math.min(Math.max(low + random.int(-1, 1), 0), items.length - 1);
  return items[index] as CatalogueItem;
}
