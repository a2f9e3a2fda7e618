import { connect, type Socket } from 'node:net';
import { loadConfig } from '@rapport/config';
import { createLogger, Metrics } from '@rapport/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from './create-app.js';
import { QueryGate } from './query-gate.js';
import { redactUrl } from './redact-url.js';

// Limits that keep one client from taking the service from the others, on a real server:
// per-key rate limits, request and header timeouts, the connection cap, and the heavy-query
// gate.

const READER_A = 'reader-a-0123456789';
const READER_B = 'reader-b-0123456789';
let app: App;
let port: number;

beforeAll(async () => {
  const config = loadConfig({
    RAPPORT_API_KEYS: `${READER_A}:read,${READER_B}:read`,
    RAPPORT_LOG_LEVEL: 'silent',
    RAPPORT_RATE_LIMIT_READ: '3',
    RAPPORT_RATE_LIMIT_WINDOW_MS: '60000',
    RAPPORT_REQUEST_TIMEOUT_MS: '1500',
    RAPPORT_HEADERS_TIMEOUT_MS: '1000',
    RAPPORT_MAX_CONNECTIONS: '5',
  });
  app = await createApp({
    config,
    logger: createLogger({ level: 'silent' }),
    metrics: new Metrics({ processMetrics: false }),
    readiness: [],
    title: 'test',
  });
  app.get('/v1/thing', { config: { scope: 'read' } }, async () => ({ ok: true }));
  app.post('/v1/thing', { config: { scope: 'read' } }, async (request) => ({ got: request.body }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  await app?.close();
});

const get = (key: string) =>
  app.inject({ url: '/v1/thing', headers: { authorization: `Bearer ${key}` } });

/** Opens a raw connection and sends `text`; resolves with what the server answered. */
function rawExchange(text: string, waitMs: number): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    let data = '';
    let closed = false;
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      resolve({ data, closed });
    });
    setTimeout(() => {
      socket.destroy();
      resolve({ data, closed });
    }, waitMs);
  });
}

describe('rate limits', () => {
  it('answers 429 with Retry-After past a key’s budget, and leaves other keys alone', async () => {
    for (let i = 0; i < 3; i++) expect((await get(READER_A)).statusCode).toBe(200);
    const refused = await get(READER_A);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json<{ message: string }>().message).toMatch(/3 "read" requests per 60000 ms/);
    expect((await get(READER_B)).statusCode).toBe(200);
  });

  it('never limits the health routes', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    }
  });
});

describe('timeouts and the connection cap', () => {
  it('answers 408 to a request whose body stops arriving', async () => {
    const started = Date.now();
    const { data } = await rawExchange(
      `POST /v1/thing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${READER_B}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"half":',
      20_000,
    );
    expect(data).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it('closes a connection that never finishes its headers', async () => {
    const started = Date.now();
    const { closed, data } = await rawExchange('GET /healthz HTTP/1.1\r\nHost: x\r\n', 20_000);
    expect(closed).toBe(true);
    expect(data === '' || /^HTTP\/1\.1 408/.test(data)).toBe(true);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it('refuses connections past the cap', async () => {
    const sockets = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => resolve(socket));
            socket.on('error', () => undefined);
          }),
      ),
    );
    try {
      const extra = await rawExchange('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 5000);
      expect(extra.closed).toBe(true);
      expect(extra.data).toBe('');
    } finally {
      sockets.forEach((socket) => socket.destroy());
    }
  }, 30_000);
});

describe('the heavy-query gate', () => {
  it('runs a few at a time, queues the rest, and refuses with 503 and Retry-After past the wait', async () => {
    const gate = new QueryGate({ concurrency: 1, queueMs: 200, maxMemoryBytes: 1 << 30 });
    let release!: () => void;
    const first = gate.run(
      () => new Promise<string>((resolve) => (release = () => resolve('first'))),
    );
    const refused = gate.run(async () => 'never');
    await expect(refused).rejects.toMatchObject({
      statusCode: 503,
      headers: { 'retry-after': '1' },
    });
    const queued = gate.run(async () => 'second');
    release();
    expect(await first).toBe('first');
    expect(await queued).toBe('second');
    expect(gate.settings).toBe(
      `max_memory_usage = ${1 << 30}, max_threads = 1, os_thread_priority = 19`,
    );
  });

  it('gives each query the threads it is configured with, 0 leaving the store one per core', () => {
    const options = { concurrency: 1, queueMs: 200, maxMemoryBytes: 1 << 30 };
    expect(new QueryGate({ ...options, threads: 0 }).settings).toMatch(/, max_threads = 0,/);
    expect(new QueryGate({ ...options, threads: 3 }).settings).toMatch(/, max_threads = 3,/);
  });
});

describe('redacted URLs in logs', () => {
  it('replaces identifying query values and ids, keeps paging', () => {
    expect(redactUrl('/v1/customers?email=jane%40example.com')).toBe(
      '/v1/customers?email=[redacted]',
    );
    expect(redactUrl('/v1/customers/c-42/events?limit=10&before=x')).toBe(
      '/v1/customers/[redacted]/events?limit=10&before=x',
    );
    expect(redactUrl('/v1/visitors/dev-1')).toBe('/v1/visitors/[redacted]');
    expect(redactUrl('/v1/segments/vip/members?cursor=abc')).toBe(
      '/v1/segments/vip/members?cursor=abc',
    );
  });
});
