import { Worker } from 'node:worker_threads';

// The watchdog thread loads nothing but what this script names (no store, no addon).
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
setTimeout(() => process.kill(workerData.pid, 'SIGKILL'), workerData.ms);
`;

/** Extra time the watchdog thread gives the main thread's own deadline to act first. */
const WATCHDOG_MARGIN_MS = 2000;

/**
 * Makes sure a stop ends: after `graceMs` the process exits with code 1 (after `onExpired`,
 * which may log), whatever is still pending. Call it before anything else in the stop path,
 * logging included: a write to a stalled log destination must not delay the deadline.
 *
 * The deadline is kept twice: by a timer on the main thread, and — in case the main thread is
 * stuck in a synchronous call (a blocking write, a native call that does not return) — by a
 * thread of its own that kills the process a little later. The kernel then releases the
 * store's data-directory lock with the process, so the next engine can start.
 */
export function armShutdownDeadline(graceMs: number, onExpired: () => void): void {
  const timer = setTimeout(() => {
    try {
      onExpired();
    } finally {
      process.exit(1);
    }
  }, graceMs);
  timer.unref();
  const watchdog = new Worker(WATCHDOG, {
    eval: true,
    // A plain CommonJS script: none of the main thread's flags or loaders.
    execArgv: [],
    workerData: { pid: process.pid, ms: graceMs + WATCHDOG_MARGIN_MS },
    stdout: true,
    stderr: true,
  });
  // The watchdog is the second line: if it cannot start, the timer above still holds.
  watchdog.on('error', () => undefined);
  watchdog.unref();
}
