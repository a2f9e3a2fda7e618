import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The name the embedded ClickHouse gives its merge threads (`MergeMutate`, cut to 15 bytes). */
const MERGE_THREAD = /^MergeMutate/;

/**
 * Runs the embedded store's background merges at a lower CPU priority (a Linux nice value),
 * so that where they and the latency-bound work (ingest's inserts, look-ups, streaming
 * evaluation) want the same cores, the merges wait. ClickHouse's own server setting for it
 * (`os_threads_nice_value_merge_mutate`) is read at start-up only and needs CAP_SYS_NICE;
 * lowering a thread's priority needs no privilege, so this process does it itself: it lists
 * its threads, and sets the nice value of each merge thread it has not set yet. The merge
 * pool's threads live as long as the store, and a new one is found at the next look
 * (`everyMs`). Linux only: elsewhere (no /proc/self/task) it does nothing.
 */
export class MergeThreadPriority {
  private readonly set = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nice: number,
    private readonly options: { everyMs?: number; taskDir?: string } = {},
  ) {
    if (!Number.isInteger(nice) || nice < 0 || nice > 19) {
      throw new RangeError(`a nice value must be an integer from 0 to 19, not ${nice}`);
    }
  }

  /** Looks now and then every `everyMs` (default 5 s) until stopped; nothing at nice 0. */
  start(): this {
    if (this.nice === 0 || this.timer !== undefined) return this;
    this.lower();
    this.timer = setInterval(() => this.lower(), this.options.everyMs ?? 5000);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sets the nice value of the merge threads not set yet; answers how many it set. */
  lower(): number {
    const dir = this.options.taskDir ?? '/proc/self/task';
    let tasks: string[];
    try {
      tasks = readdirSync(dir);
    } catch {
      return 0;
    }
    // A thread id that ended may be given to a new thread: forget those gone.
    const alive = new Set(tasks);
    for (const tid of this.set) if (!alive.has(tid)) this.set.delete(tid);
    let lowered = 0;
    for (const tid of tasks) {
      if (this.set.has(tid)) continue;
      let name: string;
      try {
        name = readFileSync(`${dir}/${tid}/comm`, 'utf8');
      } catch {
        continue; // It ended since the listing.
      }
      if (!MERGE_THREAD.test(name)) continue;
      try {
        // On Linux a thread id names that thread alone.
        setPriority(Number(tid), this.nice);
        this.set.add(tid);
        lowered++;
      } catch {
        // It ended, or the system refused: left as it is.
      }
    }
    return lowered;
  }
}
