import { readFileSync } from 'node:fs';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ). */
const TICKS_PER_SECOND = 100;

/**
 * Peak resident set size (VmHWM) of a running process, in bytes, read from /proc. For this
 * process, falls back to getrusage where /proc is missing; undefined when neither answers.
 */
export function peakRssBytes(pid?: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid ?? 'self'}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    if (match) return Number(match[1]) * 1024;
  } catch {
    // No /proc (not Linux) or the process is gone.
  }
  return pid === undefined ? process.resourceUsage().maxRSS * 1024 : undefined;
}

/** Resident set size (VmRSS) of a running process now, in bytes; undefined when it is gone. */
export function currentRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system, all threads) this process has used so far, in seconds. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Kernel (system) CPU time, all threads, this process has used so far, in seconds. */
export function ownKernelCpuSeconds(): number {
  return process.cpuUsage().system / 1e6;
}

/**
 * A /proc `stat` file (a process's or one thread's): its command name, and its user and kernel
 * CPU time so far in seconds; undefined when it cannot be read (the process or thread ended).
 */
export function readProcStat(
  path: string,
): { name: string; user: number; kernel: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  // The name, which may hold spaces, is between the first '(' and the last ')'; the fields
  // after it start at field 3, state.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return {
    name: stat.slice(stat.indexOf('(') + 1, close),
    user: Number(fields[11]) / TICKS_PER_SECOND,
    kernel: Number(fields[12]) / TICKS_PER_SECOND,
  };
}

/** User and kernel CPU time (all threads) of another process so far, in seconds, from /proc. */
const cpuTimesOf = (pid: number) => readProcStat(`/proc/${pid}/stat`);

/** CPU time (user + system, all threads) of another process so far, in seconds, from /proc. */
export function cpuSecondsOf(pid: number): number | undefined {
  const times = cpuTimesOf(pid);
  return times && times.user + times.kernel;
}

/** Kernel (system) CPU time, all threads, of another process so far, in seconds, from /proc. */
export function kernelCpuSecondsOf(pid: number): number | undefined {
  return cpuTimesOf(pid)?.kernel;
}

/**
 * Follows another process's peak RSS and CPU time by reading /proc every `intervalMs`, so the
 * figures survive its exit (after which /proc has nothing). VmHWM only grows, so the last
 * reading is the peak up to at most one interval before the end.
 */
export function watchProcess(pid: number, intervalMs = 200) {
  let peak: number | undefined;
  let cpu: number | undefined;
  const read = () => {
    const rss = peakRssBytes(pid);
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
    cpu = cpuSecondsOf(pid) ?? cpu;
  };
  read();
  const timer = setInterval(read, intervalMs);
  timer.unref();
  return {
    /** Reads once more (while the process still runs) and stops following it. */
    stop(): { peakRssBytes: number | undefined; cpuSeconds: number | undefined } {
      read();
      clearInterval(timer);
      return { peakRssBytes: peak, cpuSeconds: cpu };
    },
    peakRssBytes: () => peak,
  };
}
