import { InProcessChangeFeed, KafkaChangeFeed } from '@rapport/bus';
import { loadConfig } from '@rapport/config';
import { createLogger, Metrics } from '@rapport/observability';
import type { SegmentChange } from '@rapport/schemas';
import { describe, expect, it } from 'vitest';
import { createChangeSinks } from './create-change-sinks.js';
import { verifySignature } from './signature.js';
import { deliveries, segmentChanges } from './testing/fixtures.js';
import { startReceiver } from './testing/receiver.js';

const logger = createLogger({ level: 'silent' });
const secret = 'whsec_from_the_environment_42';

describe('createChangeSinks', () => {
  it('gives the feeds it was handed and no dispatcher while no webhook URL is set', async () => {
    const metrics = new Metrics({ processMetrics: false });
    expect(createChangeSinks({ config: loadConfig({}), logger, metrics })).toEqual([]);
    // Not connected: the feed only meets the brokers on its first publish.
    const kafka = new KafkaChangeFeed({ brokers: ['127.0.0.1:1'] });
    const sinks = createChangeSinks({ config: loadConfig({}), logger, metrics, kafka });
    expect(sinks).toEqual([kafka]);
    await kafka.close();
  });

  it('adds a dispatcher built from the webhook settings', async () => {
    const receiver = await startReceiver(() => ({ status: 200 }));
    try {
      const config = loadConfig({
        RAPPORT_WEBHOOK_URLS: receiver.url,
        RAPPORT_WEBHOOK_SECRET: secret,
        RAPPORT_WEBHOOK_BATCH_SIZE: '2',
      });
      const metrics = new Metrics({ processMetrics: false });
      const inProcess = new InProcessChangeFeed();
      const heard: SegmentChange[] = [];
      inProcess.subscribe((changes) => {
        heard.push(...changes);
      });
      const sinks = createChangeSinks({ config, logger, metrics, inProcess });
      expect(sinks.map((sink) => sink.name)).toEqual(['in-process', 'webhooks']);

      const changes = segmentChanges(3);
      for (const sink of sinks) await sink.publish(changes);
      for (const sink of sinks) await sink.close();

      expect(heard).toEqual(changes);
      expect(receiver.received.map((r) => r.payload.changes.length)).toEqual([2, 1]);
      for (const request of receiver.received) {
        const header = request.headers['rapport-signature'] as string;
        expect(verifySignature({ secret, header, body: request.body, toleranceSeconds: 60 })).toBe(
          true,
        );
      }
      expect(await deliveries(metrics, new URL(receiver.url).origin, 'delivered')).toBe(2);
    } finally {
      await receiver.close();
    }
  });
});
