import type { Metrics } from '@rapport/observability';
import { Counter } from 'prom-client';

/** Counters of the provider webhooks, on the app's registry (created once per registry). */
export function providerMetrics(metrics: Metrics) {
  const counter = (name: string, help: string) =>
    (metrics.registry.getSingleMetric(name) as Counter<'provider' | 'outcome'> | undefined) ??
    new Counter({
      name,
      help,
      labelNames: ['provider', 'outcome'] as const,
      registers: [metrics.registry],
    });
  return {
    /** Requests by outcome: `ok`, `invalid_signature`, `bad_request`. */
    requests: counter(
      'rapport_provider_webhook_requests_total',
      'Email-provider webhook requests, by provider and outcome (invalid_signature: answered 401)',
    ),
    /** Provider events by outcome: `stored`, `duplicate`, `skipped`, `rejected`. */
    events: counter(
      'rapport_provider_webhook_events_total',
      'Email-provider events, by provider and outcome (stored, duplicate, skipped, rejected)',
    ),
  };
}

export type ProviderMetrics = ReturnType<typeof providerMetrics>;
