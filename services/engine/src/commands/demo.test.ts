import { generateEvents } from '@rapport/testkit';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DemoError, runDemo } from './demo.js';

interface Behaviour {
  /** Answer the n-th POST (1-based) with 503 and Retry-After: 0. */
  unavailableOn?: number;
  /** Drop the connection of the n-th POST without answering. */
  hangUpOn?: number;
  /** Answer the n-th POST with this status and body. */
  failOn?: { request: number; status: number; body: string };
  /** Events the stand-in rejects, given the number of the POST they came in. */
  rejects?: (event: { eventId: string; type: string }, request: number) => boolean;
}

interface Received {
  eventIds: string[];
  authorization: string | undefined;
}

/** A stand-in for the engine's ingest API: dedupes by event id and answers like the engine. */
async function startEngine(behaviour: Behaviour = {}) {
  const seen = new Set<string>();
  const received: Received[] = [];
  const statuses: number[] = [];
  let rejectedTotal = 0;
  let posts = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  async function handle(request: IncomingMessage, response: ServerResponse) {
    if (request.method === 'GET' && request.url === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (request.method !== 'POST' || request.url !== '/v1/events') {
      response.writeHead(404).end();
      return;
    }
    const number = ++posts;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (number === behaviour.hangUpOn) {
        request.socket.destroy();
        return;
      }
      if (number === behaviour.unavailableOn) {
        response
          .writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' })
          .end('{"statusCode":503,"error":"Service Unavailable","message":"store busy"}');
        return;
      }
      if (number === behaviour.failOn?.request) {
        response.writeHead(behaviour.failOn.status, { 'content-type': 'application/json' });
        response.end(behaviour.failOn.body);
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        events: { eventId: string; type: string }[];
      };
      received.push({
        eventIds: body.events.map((event) => event.eventId),
        authorization: request.headers.authorization,
      });
      let accepted = 0;
      let duplicates = 0;
      const rejected: unknown[] = [];
      body.events.forEach((event, index) => {
        if (behaviour.rejects?.(event, number)) {
          rejected.push({
            index,
            eventId: event.eventId,
            path: 'properties',
            message: 'not wanted here',
            errors: [{ path: 'properties', message: 'not wanted here' }],
          });
        } else if (seen.has(event.eventId)) {
          duplicates++;
        } else {
          seen.add(event.eventId);
          accepted++;
        }
      });
      const status = accepted + duplicates === 0 ? 400 : 200;
      statuses.push(status);
      rejectedTotal += rejected.length;
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted, duplicates, rejected }));
    } finally {
      inFlight--;
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const engine = {
    url: `http://127.0.0.1:${port}`,
    received,
    statuses,
    seen,
    get rejected() {
      return rejectedTotal;
    },
    get posts() {
      return posts;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(engine);
  return engine;
}

const servers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return {
    stream,
    get text() {
      return text;
    },
  };
}

const SEED = 11;
const CUSTOMERS = 40;
const expected = [...generateEvents({ seed: SEED, customers: CUSTOMERS })].map(
  (event) => event.eventId ?? '',
);

describe('runDemo', () => {
  it('streams every generated event in batches, retries a 503 and sums up', async () => {
    const engine = await startEngine({ unavailableOn: 1 });
    const stdout = capture();
    const stderr = capture();
    const summary = await runDemo({
      url: `${engine.url}/`,
      customers: CUSTOMERS,
      seed: SEED,
      apiKey: 'k-demo',
      batchSize: 100,
      concurrency: 3,
      stdout: stdout.stream,
      stderr: stderr.stream,
    });

    const batches = engine.received.map((batch) => batch.eventIds);
    expect(batches).toHaveLength(Math.ceil(expected.length / 100));
    expect(engine.posts).toBe(batches.length + 1);
    expect(batches.every((ids) => ids.length <= 100)).toBe(true);
    expect(batches.filter((ids) => ids.length < 100)).toHaveLength(1);
    expect(batches.flat().sort()).toEqual([...expected].sort());
    expect(engine.received.every((batch) => batch.authorization === 'Bearer k-demo')).toBe(true);
    expect(engine.maxInFlight).toBeGreaterThan(1);
    expect(engine.maxInFlight).toBeLessThanOrEqual(3);

    expect(summary).toMatchObject({
      customers: CUSTOMERS,
      events: expected.length,
      accepted: expected.length,
      duplicates: 0,
      rejected: 0,
      retries: 1,
      rejections: [],
    });
    expect(summary.seconds).toBeGreaterThanOrEqual(0);
    expect(stdout.text).toContain(`${CUSTOMERS} customers`);
    expect(stdout.text).toMatch(/accepted\s+[\d,]+/);
    expect(stderr.text).toContain(`${CUSTOMERS}/${CUSTOMERS} customers`);
  });

  it('reports everything as duplicates when the same seed is loaded again', async () => {
    const engine = await startEngine();
    const quiet = { stdout: capture().stream, stderr: capture().stream };
    const options = { url: engine.url, customers: CUSTOMERS, seed: SEED, ...quiet };
    const first = await runDemo(options);
    const stdout = capture();
    const second = await runDemo({ ...options, stdout: stdout.stream });
    expect(first).toMatchObject({ accepted: expected.length, duplicates: 0 });
    expect(second).toMatchObject({ accepted: 0, duplicates: expected.length, rejected: 0 });
    expect(stdout.text).toContain('loaded before');
    expect(engine.received.every((batch) => batch.authorization === undefined)).toBe(true);
  });

  it('counts rejected events, also from batches the engine rejects as a whole', async () => {
    const engine = await startEngine({
      rejects: (event, request) => request === 2 || event.type === 'email',
    });
    const summary = await runDemo({
      url: engine.url,
      customers: CUSTOMERS,
      seed: SEED,
      batchSize: 100,
      stdout: capture().stream,
      stderr: capture().stream,
    });
    expect(engine.statuses).toContain(400);
    expect(engine.rejected).toBeGreaterThan(100);
    expect(summary).toMatchObject({
      events: expected.length,
      accepted: expected.length - engine.rejected,
      rejected: engine.rejected,
    });
    expect(summary.rejections).toHaveLength(5);
    expect(summary.rejections[0]).toMatch(/^g-11-\d+-\d+ properties: not wanted here$/);
  });

  it('sends a batch again after a dropped connection', async () => {
    const engine = await startEngine({ hangUpOn: 2 });
    const summary = await runDemo({
      url: engine.url,
      customers: 10,
      seed: SEED,
      batchSize: 50,
      concurrency: 1,
      stdout: capture().stream,
      stderr: capture().stream,
    });
    const sent = [...generateEvents({ seed: SEED, customers: 10 })].length;
    expect(summary).toMatchObject({ events: sent, accepted: sent, duplicates: 0, retries: 1 });
  });

  it('stops with the answer on any other failure', async () => {
    const engine = await startEngine({
      failOn: { request: 2, status: 401, body: '{"message":"an API key is required"}' },
    });
    const run = runDemo({
      url: engine.url,
      customers: CUSTOMERS,
      seed: SEED,
      batchSize: 100,
      concurrency: 2,
      stdout: capture().stream,
      stderr: capture().stream,
    });
    await expect(run).rejects.toThrow(DemoError);
    await expect(run).rejects.toThrow(/answered 401 .*\n.*an API key is required/);
  });

  it('fails at once when no engine listens, and on impossible options', async () => {
    const engine = await startEngine();
    const url = engine.url;
    await engine.close();
    servers.length = 0;
    const quiet = { stdout: capture().stream, stderr: capture().stream };
    await expect(runDemo({ url, customers: 1, seed: 1, ...quiet })).rejects.toThrow(
      /no engine answers at http:\/\/127\.0\.0\.1:\d+/,
    );
    await expect(runDemo({ url, customers: 1, seed: 1, batchSize: 0, ...quiet })).rejects.toThrow(
      /batch size/,
    );
    await expect(runDemo({ url: 'ftp://x', customers: 1, seed: 1, ...quiet })).rejects.toThrow(
      /--url/,
    );
  });
});
