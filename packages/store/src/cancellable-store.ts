import { StoreError } from './errors.js';
import type { Store } from './store.js';

/** A store view whose statements `cancel` can stop. */
export type CancellableStore = Store & {
  /**
   * Cancels the view's statements under way (KILL QUERY, on the read lane, not waiting for them
   * to stop) and refuses every statement after.
   */
  cancel(): Promise<void>;
};

/** Marks that name a caller in SQL text: letters, digits and `:-_` only. */
const MARK = /^[a-z0-9:_-]+$/i;

/**
 * `store`, with each query and command marked by `mark` (a comment the engine keeps in the
 * statement's text) so that `cancel` can find and stop those under way: for work a stop must
 * not wait for, such as a rebuild or a job run of minutes at a million people. An engine that
 * exits while such a statement runs ends in a crash of the store's library. Inserts are neither
 * marked nor cancelled, but are refused after `cancel`. The cancel goes on the read lane: give
 * `store` unbound, and bind the view to a lane (onLane) after, not before.
 */
export function cancellable(store: Store, mark: string): CancellableStore {
  if (!MARK.test(mark)) throw new Error(`a statement mark must match ${MARK}: ${mark}`);
  let cancelled = false;
  const refused = () =>
    Promise.reject(new StoreError('closed', `statement not run: ${mark} was cancelled`));
  const view = Object.create(store) as CancellableStore;
  view.query = (sql, params, lane) =>
    cancelled ? refused() : store.query(`/* ${mark} */ ${sql}`, params, lane);
  view.command = (sql, params, lane) =>
    cancelled ? refused() : store.command(`/* ${mark} */ ${sql}`, params, lane);
  view.insertJsonLines = (table, body, options) =>
    cancelled ? refused() : store.insertJsonLines(table, body, options);
  view.cancel = async () => {
    cancelled = true;
    await store.command(
      `KILL QUERY WHERE position(query, '/* ${mark} */') > 0
         AND position(query, 'KILL QUERY') = 0 ASYNC`,
      {},
      'read',
    );
  };
  return view;
}
