import { readFileSync } from 'node:fs';

/**
 * The lowest CPU priority, as a Linux nice value (0, the default, is how ingest's writes and
 * the API's look-ups run): for work that may take what the rest leaves — heavy queries
 * (reports, previews, exports), the rewrites of the profile rows batches touched (a cache),
 * the projection check beside the writes.
 */
export const LOWEST_NICE = 19;

/**
 * The SETTINGS entry that runs a statement's threads at the nice value `nice` (0-19), or '' at
 * 0. ClickHouse lowers the threads running the statement and gives them back their priority
 * when it ends, so a connection's later statements run as before; it needs the CAP_SYS_NICE
 * capability (the engine's process for the embedded store, the server otherwise) and ignores
 * the setting without it (see mayLowerThreadPriority). `os_thread_priority` is the name every
 * server version takes (newer ones also call it `os_threads_nice_value_query`).
 */
export function cpuPrioritySetting(nice: number): string {
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) {
    throw new RangeError(`a nice value must be an integer from 0 to 19, not ${nice}`);
  }
  return nice === 0 ? '' : `os_thread_priority = ${nice}`;
}

/** The bit of CAP_SYS_NICE in a capability mask (linux/capability.h). */
const CAP_SYS_NICE = 23n;

/**
 * Whether this process holds CAP_SYS_NICE, from its effective capabilities (`CapEff` in
 * /proc/self/status, or the text given): whether the embedded store applies a statement's
 * priority (ClickHouse must raise the threads back afterwards, which only the capability
 * allows); false where the status cannot be read.
 */
export function mayLowerThreadPriority(status?: string): boolean {
  let text = status;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return false;
    }
  }
  const mask = /^CapEff:\s*([0-9a-f]+)$/im.exec(text)?.[1];
  return mask !== undefined && ((BigInt(`0x${mask}`) >> CAP_SYS_NICE) & 1n) === 1n;
}
