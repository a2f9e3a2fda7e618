import { loadConfig } from '@rapport/config';
import { createLogger, Metrics } from '@rapport/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from './create-app.js';
import { HttpError } from './http-error.js';

// What a request leaves in the logs: one line once it is answered, with what an operator
// needs to follow it and nothing that identifies a customer.

const lines: Record<string, unknown>[] = [];
let app: App;

beforeAll(async () => {
  app = await createApp({
    config: loadConfig({ RAPPORT_API_KEYS: '' }),
    logger: createLogger({
      level: 'info',
      destination: {
        write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
      },
    }),
    metrics: new Metrics({ processMetrics: false }),
    readiness: [],
    title: 'test',
  });
  app.get('/v1/customers/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.get('/v1/broken', async () => {
    throw new Error('the store went away');
  });
  app.get('/v1/busy', async () => {
    throw new HttpError(503, 'too many heavy queries at once; retry later', { 'retry-after': '1' });
  });
});

afterAll(async () => {
  await app?.close();
});

function linesOf(requestId: string) {
  return lines.filter((line) => line.reqId === requestId);
}

describe('request log', () => {
  it('writes one line a request, on completion, with method, redacted URL, status and time', async () => {
    const response = await app.inject({ url: '/v1/customers/jane%40example.com?limit=5' });
    expect(response.statusCode).toBe(200);
    const written = linesOf(String(response.headers['x-request-id']));
    expect(written).toHaveLength(1);
    const [line] = written;
    expect(line).toMatchObject({
      msg: 'request completed',
      level: 30,
      req: { method: 'GET', url: '/v1/customers/[redacted]?limit=5' },
      res: { statusCode: 200 },
    });
    expect(typeof line?.responseTime).toBe('number');
    expect(JSON.stringify(line)).not.toContain('jane');
  });

  it('still logs a server error with its cause, besides the completed line', async () => {
    const response = await app.inject({ url: '/v1/broken' });
    expect(response.statusCode).toBe(500);
    const written = linesOf(String(response.headers['x-request-id']));
    expect(written.map((line) => line.msg)).toEqual(['request failed', 'request completed']);
    expect(written[0]).toMatchObject({ level: 50, err: { message: 'the store went away' } });
    expect(written[1]).toMatchObject({ res: { statusCode: 500 }, req: { url: '/v1/broken' } });
  });

  it('logs a 5xx answered on purpose as a warning with its message, no stack', async () => {
    const response = await app.inject({ url: '/v1/busy' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    const written = linesOf(String(response.headers['x-request-id']));
    expect(written.map((line) => line.msg)).toEqual(['request not served', 'request completed']);
    expect(written[0]).toMatchObject({
      level: 40,
      statusCode: 503,
      message: 'too many heavy queries at once; retry later',
    });
    expect(written[0]).not.toHaveProperty('err');
  });

  it('gives a route Fastify does not know its line too', async () => {
    const response = await app.inject({ url: '/v1/nowhere' });
    expect(response.statusCode).toBe(404);
    const written = linesOf(String(response.headers['x-request-id']));
    expect(written.at(-1)).toMatchObject({ msg: 'request completed', res: { statusCode: 404 } });
  });
});
