import type { Logger, Metrics } from '@rapport/observability';
import {
  checkProjections,
  divergedProfileKeys,
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
   * Call it where writes are serialised (the writer, between batches). When a check is due,
   * starts comparing the projections of the profiles written since the last one with the event
   * log, beside the writes (it does not wait for the comparison); the profiles a comparison
   * found different are compared again here, at the next call after it, and rebuilt if they
   * still differ. Never throws: a failed check is logged.
   */
  checkIfDue(): Promise<void>;
  /** Resolves once a comparison under way is done. */
  idle(): Promise<void>;
}

function recordDivergence(metrics: Metrics, result: ProjectionCheckResult) {
  for (const { table, keys, repaired } of result.diverged) {
    metrics.projectionDivergence.inc({ table, repaired: String(repaired) }, keys.length);
  }
}

/** The profiles whose projections a check rebuilt. */
function repairedKeys(result: ProjectionCheckResult): Set<string> {
  return divergedProfileKeys({ ...result, diverged: result.diverged.filter((d) => d.repaired) });
}

/**
 * The periodic check. Its comparisons run beside the writes (checkProjections' `beside`), so
 * ingest never waits for them. A block committed meanwhile can be seen in `events` before a
 * view has it, so what they find is only a suspicion, confirmed where writes are serialised;
 * a profile written during a comparison is among the next one's, so no difference hides
 * behind a write.
 */
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
  /** The comparison under way, if any. */
  let comparing: Promise<void> | undefined;
  /** Profiles the last comparison found different: compared again at the next call. */
  let suspects = new Set<string>();

  const add = (written: Iterable<string>) => {
    for (const key of written) {
      keys.delete(key);
      keys.add(key);
    }
    // The newest keys are kept. Trimmed in one pass once twice over the cap: dropping the
    // oldest key one at a time walks past every key deleted before it (a set keeps them in
    // order until it is rebuilt), which cost as much as the rest of the writer's work.
    if (keys.size > 2 * MAX_KEYS_PER_CHECK) keys = new Set([...keys].slice(-MAX_KEYS_PER_CHECK));
  };

  const compare = async (checking: string[]) => {
    try {
      const result = await checkProjections(deps.store, checking, { beside: true });
      deps.metrics.projectionChecks.inc({ when: 'periodic' });
      suspects = divergedProfileKeys(result);
      if (result.unchecked.length > 0 && !warnedUnchecked) {
        warnedUnchecked = true;
        deps.logger.warn({ tables: result.unchecked }, 'projections no check covers');
      }
    } catch (error) {
      // They are compared with the next ones.
      add(checking);
      deps.logger.warn({ err: error }, 'the projection check failed; it runs again later');
    }
  };

  const confirm = async () => {
    const checking = suspects;
    suspects = new Set();
    try {
      const result = await checkProjections(deps.store, checking, {
        repair: true,
        logger: deps.logger,
      });
      recordDivergence(deps.metrics, result);
      const repaired = repairedKeys(result);
      if (repaired.size > 0) deps.onRepaired?.(repaired);
    } catch (error) {
      add(checking);
      deps.logger.warn({ err: error }, 'the projection check failed; it runs again later');
    }
  };

  return {
    wrote(written) {
      if (deps.everyMs > 0) add(written);
    },
    async checkIfDue() {
      if (comparing === undefined && suspects.size > 0) await confirm();
      if (deps.everyMs <= 0 || comparing !== undefined) return;
      if (keys.size === 0 || now() - last < deps.everyMs) return;
      last = now();
      const checking = [...keys].slice(-MAX_KEYS_PER_CHECK);
      keys.clear();
      comparing = compare(checking).finally(() => {
        comparing = undefined;
      });
    },
    async idle() {
      await comparing;
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
  metrics.projectionChecks.inc({ when: 'startup' });
  recordDivergence(metrics, check);
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
