import { round } from '../lib/machine.js';
import { percentile } from '../lib/stats.js';

/** Probes sent this long after the load started are also counted apart (see `steady`). */
const STEADY_AFTER_MS = 15_000;

/** One phase's probes: when each was answered 2xx, and when the load began (performance.now()). */
export interface ProbesSent {
  sent: ReadonlyMap<string, number>;
  startedAt: number;
}

/** What the webhook receiver noted of the probes' entries (see receiver.ts). */
export interface ProbeArrivals {
  arrivals: ReadonlyMap<string, number>;
  sinceEvaluated: ReadonlyMap<string, number>;
}

/**
 * The entry latencies of the probes of one or more phases, ms: from each probe's 2xx to its
 * entry at the webhook, and each split in two by the change's `at` (when the evaluation that
 * made it began): until that evaluation began (the pipeline's commit, the wait behind the
 * evaluation before and its rest), and from then until the webhook had it (the evaluation,
 * its writes and the delivery).
 */
export function entryLatency(phases: readonly ProbesSent[], receiver: ProbeArrivals) {
  const all: number[] = [];
  const steady: number[] = [];
  const beforeStart: number[] = [];
  const afterStart: number[] = [];
  /** Probes over a second: the second of the load each was sent in, and its latency. */
  const slow: string[] = [];
  let probes = 0;
  for (const { sent, startedAt } of phases) {
    probes += sent.size;
    for (const [id, at] of sent) {
      const arrived = receiver.arrivals.get(id);
      if (arrived === undefined) continue;
      all.push(arrived - at);
      if (arrived - at > 1000) {
        slow.push(`${Math.floor((at - startedAt) / 1000)}s:${Math.round(arrived - at)}`);
      }
      // From the 15th second on: the engine started just before the load, and with
      // RAPPORT_STREAMING_REST=auto sets its rest in the first seconds.
      if (at >= startedAt + STEADY_AFTER_MS) steady.push(arrived - at);
      const since = receiver.sinceEvaluated.get(id);
      if (since === undefined) continue;
      afterStart.push(since);
      beforeStart.push(arrived - at - since);
    }
  }
  const ms = (values: number[], p: number) => round(percentile(values, p), 0);
  return {
    probes,
    arrived: all.length,
    notArrived: probes - all.length,
    p50: ms(all, 50),
    p95: ms(all, 95),
    p99: ms(all, 99),
    max: round(Math.max(...all), 0),
    fromSecond15: {
      probes: steady.length,
      p50: ms(steady, 50),
      p95: ms(steady, 95),
      p99: ms(steady, 99),
    },
    untilEvaluationBegan: { p50: ms(beforeStart, 50), p95: ms(beforeStart, 95) },
    evaluationToWebhook: { p50: ms(afterStart, 50), p95: ms(afterStart, 95) },
    overOneSecond: slow.join(' '),
  };
}

/** Whether every probe of these phases has reached the webhook. */
export function allArrived(phases: readonly ProbesSent[], receiver: ProbeArrivals): boolean {
  return phases.every(({ sent }) => [...sent.keys()].every((id) => receiver.arrivals.has(id)));
}
