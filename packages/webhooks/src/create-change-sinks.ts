import type { ChangeSink, InProcessChangeFeed, KafkaChangeFeed } from '@rapport/bus';
import type { Config } from '@rapport/config';
import type { Logger, Metrics } from '@rapport/observability';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookOutlet } from './webhook-outlet.js';
import type { WithholdChanges } from './withhold.js';

/**
 * The sinks a process hands segment changes to: the feeds it was given (Kafka in distributed
 * mode, the in-process one in embedded mode), then the webhook dispatcher when webhooks are
 * configured. Feeds come first because they answer at once; the dispatcher may make the job
 * wait while a receiver's queue is full.
 */
export function createChangeSinks(options: {
  config: Pick<Config, 'webhooks'>;
  logger: Logger;
  metrics: Metrics;
  kafka?: KafkaChangeFeed | undefined;
  inProcess?: InProcessChangeFeed | undefined;
  /**
   * The sinks are outlets of the segment change outbox: one per webhook URL, each resolving
   * only once its receiver took the changes (the outbox keeps them until then). Default false:
   * one dispatcher queueing in memory.
   */
  durable?: boolean;
  /** Which changes of a batch are erased customers': asked by the webhooks before every attempt. */
  withhold?: WithholdChanges | undefined;
}): ChangeSink[] {
  const { config, logger, metrics, kafka, inProcess, withhold } = options;
  const sinks: ChangeSink[] = [];
  if (kafka) sinks.push(kafka);
  if (inProcess) sinks.push(inProcess);
  const webhooks = config.webhooks;
  if (webhooks && options.durable) {
    for (const url of webhooks.urls) {
      sinks.push(
        new WebhookOutlet({
          url,
          secret: webhooks.secret,
          backoffMs: { ...webhooks.backoffMs },
          timeoutMs: webhooks.timeoutMs,
          logger: logger.child({ component: 'webhooks' }),
          metrics,
          withhold,
        }),
      );
    }
  } else if (webhooks) {
    sinks.push(
      new WebhookDispatcher({
        urls: webhooks.urls,
        secret: webhooks.secret,
        maxAttempts: webhooks.maxAttempts,
        backoffMs: { ...webhooks.backoffMs },
        timeoutMs: webhooks.timeoutMs,
        batchSize: webhooks.batchSize,
        logger: logger.child({ component: 'webhooks' }),
        metrics,
        ...(withhold ? { withhold } : {}),
      }),
    );
  }
  return sinks;
}
