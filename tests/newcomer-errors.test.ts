import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { makeEvent } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

/** What a newcomer trips over first: each refusal says what to change, and carries a request id. */

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine();
  const sent = await engine.app.inject({
    method: 'POST',
    url: '/v1/events',
    payload: makeEvent('identify', {
      eventId: 'newcomer-1',
      customerId: 'ada',
      timestamp: '2024-05-01T12:00:00Z',
    }),
  });
  expect(sent.statusCode).toBe(200);
});
afterAll(() => engine.dispose());

describe('refusals a newcomer meets', () => {
  it('runs a job on an empty body, with or without a JSON content type', async () => {
    const bare = await engine.app.inject({ method: 'POST', url: '/v1/jobs/clusters/runs' });
    expect(bare.statusCode, bare.body).toBe(202);
    await expect
      .poll(
        async () =>
          (
            await engine.app.inject({
              url: `/v1/jobs/runs/${bare.json<{ runId: string }>().runId}`,
            })
          ).json<{
            status: string;
          }>().status,
        { timeout: 60_000, interval: 250 },
      )
      .not.toBe('running');
    const typed = await engine.app.inject({
      method: 'POST',
      url: '/v1/jobs/clusters/runs',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(typed.statusCode, typed.body).toBe(202);
  });

  it('says a missing field is required, not "expected nonoptional"', async () => {
    const created = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments',
      payload: {
        id: 'any-order',
        name: 'Any order',
        rule: { type: 'field', field: 'orders', op: 'gte', value: 1 },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const put = await engine.app.inject({
      method: 'PUT',
      url: '/v1/segments/any-order',
      payload: { name: 'Any order' },
    });
    expect(put.statusCode).toBe(400);
    expect(put.json()).toMatchObject({
      message: 'body.rule: is required',
      requestId: expect.any(String),
    });
  });

  it('names the content types it takes', async () => {
    const answer = await engine.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/xml' },
      payload: '<event/>',
    });
    expect(answer.statusCode).toBe(415);
    expect(answer.json<{ message: string }>().message).toMatch(
      /content type "application\/xml" is not accepted: send .*application\/json.*text\/plain/,
    );
  });

  it('takes a plain date as a profile asOf, meaning its end, as jobs do', async () => {
    const day = await engine.app.inject({ url: '/v1/customers/ada?asOf=2024-05-01' });
    expect(day.statusCode, day.body).toBe(200);
    expect(day.json<{ asOf: string }>().asOf).toBe('2024-05-01T23:59:59.999Z');
    const before = await engine.app.inject({ url: '/v1/customers/ada?asOf=2024-04-30' });
    expect(before.statusCode).toBe(404);
    expect(before.json<{ message: string }>().message).toMatch(
      /no customer "ada" as of 2024-04-30: no event names this customerId by then/,
    );
    const wrong = await engine.app.inject({ url: '/v1/customers/ada?asOf=yesterday' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json<{ message: string }>().message).toMatch(/expected a date \(2024-06-30/);
  });

  it('answers a URL Node cannot parse (a literal … in the query) with the reason and a request id', async () => {
    await engine.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = engine.app.server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          Buffer.from('GET /v1/customers?email=… HTTP/1.1\r\nHost: localhost\r\n\r\n', 'utf8'),
        );
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
      message: string;
      requestId: string;
    };
    expect(body.message).toMatch(/percent-encode it/);
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer).toContain(`x-request-id: ${body.requestId}`);
  });
});
