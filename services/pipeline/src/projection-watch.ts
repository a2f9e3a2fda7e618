import type { Logger, Metrics } from '@rapport/observability';
import {
  checkProjections,
  finishEventBlocks,
  profileKeysReceivedSince,
  type ProjectionCheckResult,
  type Store,
} from '@rapport/store';

/** Keys one periodic check looks at, at most: the most recently written. */
const MAX_KEYS_PER_CHECK = 5000;
/** Keys the start-up check looks at, at most: the most recently received. */
const MAX_KEYS_AT_START = 20_000;

export interface ProjectionWatch {
  /** Profiles whose events were just committed. */
  wrote(keys: Iterable<string>): void;
  /**
   * When a check is due, compares the projections of the profiles written since the last one
   * with the event log and rebuilds what differs. Never throws: a failed check is logged.
   * Call it where writes are serialised (the writer, between batches).
   */
  checkIfDue(): Promise<void>;
}

function record(metrics: Metrics, when: 'startup' | 'periodic', result: ProjectionCheckResult) {
  metrics.projectionChecks.inc({ when });
  for (const { table, keys, repaired } of result.diverged) {
    metrics.projectionDivergence.inc({ table, repaired: String(repaired) }, keys.length);
  }
}

/** The profiles whose projections a check rebuilt. */
function repairedKeys(result: ProjectionCheckResult): Set<string> {
  return new Set(result.diverged.flatMap((d) => (d.repaired ? d.keys : [])));
}

export function createProjectionWatch(deps: {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  /** 0 turns the periodic check off. */
  everyMs: number;
  now?: () => number;
  onRepaired?: (keys: Set<string>) => void;
}): ProjectionWatch {
  const now = deps.now ?? Date.now;
  let keys = new Set<string>();
  let last = now();
  let warnedUnchecked = false;
  return {
    wrote(written) {
      if (deps.everyMs <= 0) return;
      for (const key of written) {
        keys.delete(key);
        keys.add(key);
      }
      // The newest keys are kept. Trimmed in one pass once twice over the cap: dropping the
      // oldest key one at a time walks past every key deleted before it (a set keeps them in
      // order until it is rebuilt), which cost as much as the rest of the writer's work.
      if (keys.size > 2 * MAX_KEYS_PER_CHECK) keys = new Set([...keys].slice(-MAX_KEYS_PER_CHECK));
    },
    async checkIfDue() {
      if (deps.everyMs <= 0 || keys.size === 0 || now() - last < deps.everyMs) return;
      last = now();
      const checking = [...keys].slice(-MAX_KEYS_PER_CHECK);
      keys.clear();
      try {
        const result = await checkProjections(deps.store, checking, {
          repair: true,
          logger: deps.logger,
        });
        record(deps.metrics, 'periodic', result);
        const repaired = repairedKeys(result);
        if (repaired.size > 0) deps.onRepaired?.(repaired);
        if (result.unchecked.length > 0 && !warnedUnchecked) {
          warnedUnchecked = true;
          deps.logger.warn({ tables: result.unchecked }, 'projections no check covers');
        }
      } catch (error) {
        deps.logger.warn({ err: error }, 'the projection check failed; it runs again later');
      }
    },
  };
}

/**
 * Before a pipeline takes events: inserts again every block whose insert was cut short (by a
 * crash, here or in another writer), then compares the projections of those blocks' profiles
 * and of every profile with events received in the last `tailMs` against the log and rebuilds
 * what differs.
 */
export async function recoverProjections(deps: {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  insertSettings?: Record<string, string | number>;
  tailMs?: number;
  now?: () => number;
  onRepaired?: (keys: Set<string> | undefined) => void;
}): Promise<{
  blocks: number;
  rows: number;
  abandoned: number;
  keys: string[];
  check: ProjectionCheckResult;
}> {
  const { store, logger, metrics } = deps;
  const finished = await finishEventBlocks(store, {
    logger,
    ...(deps.insertSettings ? { settings: deps.insertSettings } : {}),
  });
  metrics.eventBlocksReinserted.inc({ reason: 'restart' }, finished.blocks);
  const since = (deps.now ?? Date.now)() - (deps.tailMs ?? 10 * 60_000);
  const recent = await profileKeysReceivedSince(store, { since, limit: MAX_KEYS_AT_START });
  const keys = [...new Set([...finished.keys, ...recent])];
  const check = await checkProjections(store, keys, {
    repair: true,
    logger,
  });
  record(metrics, 'startup', check);
  const repaired = repairedKeys(check);
  if (finished.blocks > 0) deps.onRepaired?.(undefined);
  else if (repaired.size > 0) deps.onRepaired?.(repaired);
  if (finished.blocks > 0 || check.diverged.length > 0) {
    logger.warn(
      {
        blocks: finished.blocks,
        rows: finished.rows,
        abandoned: finished.abandoned,
        diverged: check.diverged.map((d) => ({ table: d.table, keys: d.keys.length })),
      },
      'projections recovered at start-up',
    );
  }
  return { ...finished, check };
}
