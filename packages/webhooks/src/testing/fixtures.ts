import type { Metrics } from '@rapport/observability';
import type { SegmentChange } from '@rapport/schemas';
import type { WebhookLogger } from '../webhook-endpoint.js';

/** `count` distinct changes numbered from `from`, alternately entries and exits. */
export function segmentChanges(count: number, from = 0): SegmentChange[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return {
      id: `run-1:seg-vip:c:${n}`,
      segmentId: 'seg-vip',
      segmentName: 'VIP',
      version: 1,
      change: n % 2 === 0 ? 'entered' : 'exited',
      customerId: `cust-${n}`,
      anonymousId: null,
      at: '2025-03-01T12:00:00.000Z',
      runId: 'run-1',
    };
  });
}

export interface LogEntry {
  level: 'error' | 'warn' | 'info' | 'debug';
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps what it is told, for tests to read. */
export function recordingLogger(): WebhookLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (fields: unknown, message?: string): void => {
      entries.push({ level, fields: fields as Record<string, unknown>, message: message ?? '' });
    };
  return { entries, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** The value of rapport_webhook_deliveries_total for one endpoint and outcome. */
export async function deliveries(
  metrics: Metrics,
  endpoint: string,
  outcome: 'delivered' | 'retried' | 'failed',
): Promise<number> {
  const { values } = await metrics.webhookDeliveries.get();
  return (
    values.find((v) => v.labels.endpoint === endpoint && v.labels.outcome === outcome)?.value ?? 0
  );
}
