import { readdirSync } from 'node:fs';
import { readProcStat } from './process-stats.js';

/** The name the process's own (JavaScript) thread is reported under. */
export const MAIN_THREAD = 'main';

/**
 * Where another process's CPU time goes, by thread name, from /proc/<pid>/task: the engine's
 * JavaScript thread (`main`), libuv's and V8's threads (`node`, `V8 …`) and the embedded
 * ClickHouse's, which name their pools (`QueryPipelineEx` runs queries and inserts,
 * `MergeMutate` merges parts, `BgSchPool` background tasks, …). Each `sample()` answers the
 * CPU seconds per name since the last one. A thread that ended between two samples loses its
 * time since the one before (query threads come and go): the figures are a lower bound, and
 * the process's own total (cpuSecondsOf) the exact one. Empty where /proc is missing.
 */
export class ThreadCpu {
  /** CPU seconds of each thread (by id) at the last sample. */
  private last = new Map<string, number>();

  constructor(private readonly pid: number) {
    this.sample();
  }

  sample(): Map<string, number> {
    const now = new Map<string, number>();
    const used = new Map<string, number>();
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${this.pid}/task`);
    } catch {
      return used;
    }
    for (const tid of tasks) {
      const stat = readProcStat(`/proc/${this.pid}/task/${tid}/stat`);
      if (stat === undefined) continue; // It ended since the listing.
      const name = tid === String(this.pid) ? MAIN_THREAD : stat.name;
      const seconds = stat.user + stat.kernel;
      now.set(tid, seconds);
      const delta = seconds - (this.last.get(tid) ?? seconds);
      if (delta > 0) used.set(name, (used.get(name) ?? 0) + delta);
    }
    this.last = now;
    return used;
  }
}

/** Adds `more` into `into` (CPU seconds by thread name). */
export function addThreadCpu(into: Map<string, number>, more: Map<string, number>): void {
  for (const [name, seconds] of more) into.set(name, (into.get(name) ?? 0) + seconds);
}

/**
 * CPU seconds by thread name, largest first, as "name seconds" joined by ', ', leaving out
 * names under `least` (a second's sample: cores).
 */
export function formatThreadCpu(used: Map<string, number>, least = 0.05): string {
  return [...used]
    .filter(([, seconds]) => seconds >= least)
    .sort((a, b) => b[1] - a[1])
    .map(([name, seconds]) => `${name} ${seconds.toFixed(2)}`)
    .join(', ');
}
