import type { Store } from '@rapport/store';

/** Customers whose current `trait` equals `value` (case-insensitive), at most 100. */
export async function findByTrait(store: Store, trait: string, value: string): Promise<string[]> {
  const rows = await store.query<{ customer_id: string }>(
    `SELECT customer_id FROM customer_traits
     WHERE trait = {trait:String}
       AND customer_id IN (
         SELECT customer_id FROM trait_index
         WHERE trait = {trait:String} AND value = lowerUTF8({value:String})
       )
     GROUP BY customer_id
     HAVING lowerUTF8(JSONExtract(argMaxMerge(value), 'String')) = lowerUTF8({value:String})
     ORDER BY customer_id
     LIMIT 100`,
    { trait, value },
  );
  return rows.map((row) => row.customer_id);
}
