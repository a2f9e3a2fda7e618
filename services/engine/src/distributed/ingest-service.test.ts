import { loadConfig } from '@rapport/config';
import { createLogger } from '@rapport/observability';
import { makeEvent } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestService } from './ingest-service.js';
import type { Service } from './service.js';

// Nothing listens on port 1 of the loopback address: Kafka is down, as far as ingest can tell.
let service: Service;

beforeAll(async () => {
  const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', RAPPORT_LOG_LEVEL: 'silent' });
  service = await createIngestService({ config, logger: createLogger({ level: 'silent' }) });
});

afterAll(() => service.close());

describe('distributed ingest while Kafka is unavailable', () => {
  it('reports it on /readyz', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      status: 'not_ready',
      checks: { kafka: expect.stringMatching(/127\.0\.0\.1:1 cannot be reached/) },
    });
  });

  it('answers events with 503 and Retry-After, so producers send them again later', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: makeEvent('click'),
    });
    expect(response.statusCode).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.json()).toMatchObject({
      message: expect.stringMatching(/Kafka cannot take events now/),
    });
  });

  it('still validates before anything else', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: { ...makeEvent('click'), properties: {} },
    });
    expect(response.statusCode).toBe(400);
  });
});
