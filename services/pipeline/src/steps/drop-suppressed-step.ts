import type { BusMessage } from '@rapport/bus';
import type { Metrics } from '@rapport/observability';
import { suppressedEvents, type SuppressibleEvent } from '@rapport/privacy';
import type { Store } from '@rapport/store';
import { Counter } from 'prom-client';

const METRIC = 'rapport_events_suppressed_total';

function suppressedCounter(metrics: Metrics | undefined): Counter | undefined {
  if (!metrics) return undefined;
  const existing = metrics.registry.getSingleMetric(METRIC);
  if (existing) return existing as Counter;
  return new Counter({
    name: METRIC,
    help: 'Events dropped because their customer or device was erased (suppression list)',
    registers: [metrics.registry],
  });
}

/**
 * Keeps erased customers out: the events of a batch whose customer key or anonymous id is on
 * the suppression list are dropped (answered as stored, so producers do not retry them) and
 * counted. Late, retried, replayed or imported events all pass here before the store.
 */
export function createDropSuppressedStep(deps: {
  store: Store;
  metrics?: Metrics;
  /** Answers from the list held in memory (SuppressionMemo) where the process may. */
  suppressed?: (events: readonly SuppressibleEvent[]) => Promise<boolean[]>;
}) {
  const counter = suppressedCounter(deps.metrics);
  const check = deps.suppressed ?? ((events) => suppressedEvents(deps.store, events));
  return async function dropSuppressedStep(messages: BusMessage[]): Promise<boolean[]> {
    const suppressed = await check(messages);
    const dropped = suppressed.filter(Boolean).length;
    if (dropped > 0) counter?.inc(dropped);
    return suppressed;
  };
}
