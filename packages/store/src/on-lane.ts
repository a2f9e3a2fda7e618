import type { Lane, Store } from './store.js';

/**
 * The store, with every query and command on `lane` whatever lane its caller names: for a
 * caller whose statements all belong on one connection (job runs in the engine, on `jobs`).
 * Inserts go where they always go (the writer's connection).
 */
export function onLane(store: Store, lane: Lane): Store {
  const view = Object.create(store) as Store;
  view.query = (sql, params) => store.query(sql, params, lane);
  view.command = (sql, params) => store.command(sql, params, lane);
  return view;
}
