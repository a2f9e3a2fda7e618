import { makeEvent } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

const TRACKER = 'tracker-key-1234567';
const ANALYST = 'analyst-key-7654321';
const ADMIN = 'admin-key-000000001';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine({
    RAPPORT_API_KEYS: `${TRACKER}:ingest,${ANALYST}:read,${ADMIN}:admin`,
  });
});
afterAll(() => engine.dispose());

const postEvent = (headers: Record<string, string>) =>
  engine.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers,
    payload: makeEvent('click', { eventId: `k-${Math.random()}` }),
  });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API keys and scopes', () => {
  it('lets health checks through without a key', async () => {
    expect((await engine.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await engine.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('answers 401 without a key or with an unknown one', async () => {
    const missing = await postEvent({});
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/Bearer/);
    expect(missing.json().message).toMatch(/"ingest" scope is required/);
    expect(missing.json().message).toMatch(/Authorization: Bearer <key>" or "x-api-key: <key>/);
    expect(missing.json().requestId).toEqual(expect.any(String));
    const wrong = await postEvent(bearer('not-a-real-key-000'));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().message).toMatch(/^the API key is not valid: send one of the keys/);
  });

  it('answers 403 naming the scope when the key lacks it', async () => {
    const read = await postEvent(bearer(ANALYST));
    expect(read.statusCode).toBe(403);
    expect(read.json().message).toMatch(/lacks the "ingest" scope/);
    const timeline = await engine.app.inject({
      url: '/v1/customers/c/events',
      headers: bearer(TRACKER),
    });
    expect(timeline.statusCode).toBe(403);
    expect(timeline.json().message).toMatch(/lacks the "read" scope/);
    const metrics = await engine.app.inject({ url: '/metrics', headers: bearer(ANALYST) });
    expect(metrics.statusCode).toBe(403);
    expect(metrics.json().message).toMatch(/"admin"/);
  });

  it('lets a key with the right scope in, by bearer token or x-api-key', async () => {
    expect((await postEvent(bearer(TRACKER))).statusCode).toBe(200);
    expect((await postEvent({ 'x-api-key': TRACKER })).statusCode).toBe(200);
    const timeline = await engine.app.inject({
      url: '/v1/customers/c/events',
      headers: bearer(ANALYST),
    });
    expect(timeline.statusCode).toBe(200);
    expect(
      (await engine.app.inject({ url: '/docs/json', headers: bearer(ANALYST) })).statusCode,
    ).toBe(200);
  });

  it('opens the docs in a browser, which sends no key, and documents both ways to send one', async () => {
    let page = await engine.app.inject({ url: '/docs' });
    for (let hops = 0; page.statusCode >= 300 && page.statusCode < 400 && hops < 3; hops++) {
      page = await engine.app.inject({
        url: new URL(page.headers.location!, 'http://x/docs').pathname,
      });
    }
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/swagger-ui/i);
    const css = await engine.app.inject({ url: '/docs/static/swagger-ui.css' });
    expect(css.statusCode).toBe(200);
    const document = await engine.app.inject({ url: '/docs/json' });
    expect(document.statusCode).toBe(200);
    const openapi = document.json<{
      components: { securitySchemes: Record<string, { type: string; name?: string }> };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    expect(openapi.components.securitySchemes).toMatchObject({
      bearer: { type: 'http' },
      apiKey: { type: 'apiKey', name: 'x-api-key' },
    });
    const events = openapi.paths['/v1/events']?.post?.responses ?? {};
    expect(Object.keys(events)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '413', '415', '429', '503']),
    );
    const runs = openapi.paths['/v1/jobs/{name}/runs']?.post?.responses ?? {};
    expect(Object.keys(runs)).toEqual(expect.arrayContaining(['202', '401', '403', '409']));
    const health = openapi.paths['/healthz']?.get?.responses ?? {};
    expect(Object.keys(health)).not.toContain('401');
  });

  it('lets an admin key do everything', async () => {
    expect((await postEvent(bearer(ADMIN))).statusCode).toBe(200);
    expect((await engine.app.inject({ url: '/metrics', headers: bearer(ADMIN) })).statusCode).toBe(
      200,
    );
    expect(
      (await engine.app.inject({ url: '/v1/customers/c/events', headers: bearer(ADMIN) }))
        .statusCode,
    ).toBe(200);
  });

  it('protects unknown routes too, so they reveal nothing without a key', async () => {
    expect((await engine.app.inject({ url: '/v1/secret' })).statusCode).toBe(401);
    expect(
      (await engine.app.inject({ url: '/v1/secret', headers: bearer(ADMIN) })).statusCode,
    ).toBe(404);
  });
});
