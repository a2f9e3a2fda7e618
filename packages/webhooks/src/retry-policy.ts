/** Pause before attempt n+1: doubles from `initial`, never above `max` (milliseconds). */
export interface Backoff {
  initial: number;
  max: number;
}

/**
 * "Full jitter": a delay drawn evenly between 0 and the capped exponential step, so that
 * endpoints failing together (a receiver restarting) are not retried in lockstep.
 * `attempt` is the attempt that just failed, from 1.
 */
export function jitteredDelay(options: {
  backoff: Backoff;
  attempt: number;
  random: () => number;
}): number {
  const { backoff, attempt, random } = options;
  const step = Math.min(backoff.max, backoff.initial * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * step);
}

/**
 * A Retry-After header in milliseconds from `now`: delay-seconds or an HTTP date; undefined
 * when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^[0-9]+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * What an HTTP status means for a batch: 2xx delivered; 408, 429 and 5xx may pass later;
 * anything else (a redirect, another 4xx) will not, however often it is sent.
 */
export function statusVerdict(status: number): 'delivered' | 'retry' | 'fail' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) return 'retry';
  return 'fail';
}
