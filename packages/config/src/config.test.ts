import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('runs on the embedded store on loopback with no configuration', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.store.mode).toBe('embedded');
    expect(config.ingest.maxEventsPerRequest).toBe(1000);
    expect(config.ingest.maxBodyBytes).toBe(1024 * 1024);
    expect(config.ingest.maxEventBytes).toBe(32 * 1024);
    expect(config.ingest.currencyRates).toEqual({ USD: 1 });
    expect(Object.isFrozen(config.ingest)).toBe(true);
  });

  it('parses API keys with scopes and currency rates', () => {
    const config = loadConfig({
      RAPPORT_API_KEYS: 'tracker-key-0001:ingest, dashboard-key-02:read+admin',
      RAPPORT_CURRENCY_RATES: 'eur=1.08,GBP=1.27',
      RAPPORT_REPORTING_CURRENCY: 'usd',
    });
    expect(config.apiKeys).toEqual([
      { key: 'tracker-key-0001', scopes: ['ingest'] },
      { key: 'dashboard-key-02', scopes: ['read', 'admin'] },
    ]);
    expect(config.ingest.currencyRates).toEqual({ EUR: 1.08, GBP: 1.27, USD: 1 });
  });

  it('names every bad variable and the value it got', () => {
    const error = catchError(() =>
      loadConfig({ RAPPORT_PORT: 'eighty', RAPPORT_CURRENCY_RATES: 'EUR=-1' }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/RAPPORT_PORT: .*\(got "eighty"\)/);
    expect(error.message).toMatch(/RAPPORT_CURRENCY_RATES: "EUR=-1" must be CODE=rate/);
  });

  it('rejects unknown scopes without echoing the key', () => {
    const error = catchError(() => loadConfig({ RAPPORT_API_KEYS: 'secret-key-123456:write' }));
    expect(error.message).toMatch(/unknown scope "write"/);
    expect(error.message).not.toContain('secret-key-123456');
  });

  it('refuses to bind beyond loopback without API keys', () => {
    expect(() => loadConfig({ RAPPORT_HOST: '0.0.0.0' })).toThrow(/not a loopback address/);
    expect(
      loadConfig({ RAPPORT_HOST: '0.0.0.0', RAPPORT_API_KEYS: 'a-long-enough-key:ingest' }).http
        .host,
    ).toBe('0.0.0.0');
    expect(loadConfig({ RAPPORT_HOST: '::1' }).http.host).toBe('::1');
  });

  it('reads job schedules and rejects bad cron expressions by name', () => {
    const config = loadConfig({ RAPPORT_SCHEDULE_RFM: '0 3 * * *', RAPPORT_SCHEDULE_CLV: ' ' });
    expect(config.jobs.schedules).toEqual({ rfm: '0 3 * * *', segments: '0 * * * *' });
    expect(
      loadConfig({ RAPPORT_SCHEDULE_SEGMENTS: 'off', RAPPORT_SCHEDULE_RFM: 'off' }).jobs.schedules,
    ).toEqual({});
    expect(loadConfig({ RAPPORT_SCHEDULE_SEGMENTS: '*/15 * * * *' }).jobs.schedules).toEqual({
      segments: '*/15 * * * *',
    });
    expect(() => loadConfig({ RAPPORT_SCHEDULE_RFM: 'at three' })).toThrow(
      /RAPPORT_SCHEDULE_RFM: "at three" is not a cron expression/,
    );
  });

  it('reads the default k of the clusters job, 2 to 20, unset by default', () => {
    expect(loadConfig({}).jobs.clustersK).toBeUndefined();
    expect(loadConfig({ RAPPORT_CLUSTERS_K: '5' }).jobs.clustersK).toBe(5);
    expect(() => loadConfig({ RAPPORT_CLUSTERS_K: '1' })).toThrow(/RAPPORT_CLUSTERS_K: .*"1"/);
  });

  it('reads the rest after a streaming evaluation, 0.5 by default, 0 to 10 or auto', () => {
    expect(loadConfig({}).segments.streamingRest).toBe(1);
    expect(loadConfig({}).segments.streamingIngestShare).toBe(0.85);
    expect(loadConfig({ RAPPORT_STREAMING_REST: '0.25' }).segments.streamingRest).toBe(0.25);
    expect(loadConfig({ RAPPORT_STREAMING_REST: 'auto' }).segments.streamingRest).toBe('auto');
    expect(
      loadConfig({ RAPPORT_STREAMING_INGEST_SHARE: '0.9' }).segments.streamingIngestShare,
    ).toBe(0.9);
    expect(() => loadConfig({ RAPPORT_STREAMING_INGEST_SHARE: '2' })).toThrow(
      /RAPPORT_STREAMING_INGEST_SHARE: .*"2"/,
    );
    expect(() => loadConfig({ RAPPORT_STREAMING_REST: '-1' })).toThrow(
      /RAPPORT_STREAMING_REST: .*"-1"/,
    );
    expect(() => loadConfig({ RAPPORT_STREAMING_REST: 'soon' })).toThrow(/RAPPORT_STREAMING_REST/);
  });

  it("reads the streaming verdict statement's nice value, 0 by default, 0 to 19", () => {
    expect(loadConfig({}).segments.streamingNice).toBe(0);
    expect(loadConfig({ RAPPORT_STREAMING_NICE: '19' }).segments.streamingNice).toBe(19);
    expect(() => loadConfig({ RAPPORT_STREAMING_NICE: '20' })).toThrow(
      /RAPPORT_STREAMING_NICE: .*"20"/,
    );
    expect(() => loadConfig({ RAPPORT_STREAMING_NICE: '1.5' })).toThrow(/RAPPORT_STREAMING_NICE/);
  });

  it("reads the embedded store's merge nice value, 19 by default, 0 to 19", () => {
    const mergeNice = (env: Record<string, string>) => {
      const { store } = loadConfig(env);
      return store.mode === 'embedded' ? store.mergeNice : undefined;
    };
    expect(mergeNice({})).toBe(19);
    expect(mergeNice({ RAPPORT_MERGE_NICE: '0' })).toBe(0);
    expect(() => loadConfig({ RAPPORT_MERGE_NICE: '20' })).toThrow(/RAPPORT_MERGE_NICE: .*"20"/);
    expect(() => loadConfig({ RAPPORT_MERGE_NICE: 'low' })).toThrow(/RAPPORT_MERGE_NICE/);
  });

  it('reads the threads of a heavy query, unset by default', () => {
    expect(loadConfig({}).limits.heavyQueries.threads).toBeUndefined();
    expect(loadConfig({ RAPPORT_HEAVY_QUERY_THREADS: '0' }).limits.heavyQueries.threads).toBe(0);
    expect(loadConfig({ RAPPORT_HEAVY_QUERY_THREADS: '1' }).limits.heavyQueries.threads).toBe(1);
    expect(() => loadConfig({ RAPPORT_HEAVY_QUERY_THREADS: '-1' })).toThrow(
      /RAPPORT_HEAVY_QUERY_THREADS: .*"-1"/,
    );
  });

  it('reads the log format, auto by default', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ RAPPORT_LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig({ RAPPORT_LOG_FORMAT: 'xml' })).toThrow(/RAPPORT_LOG_FORMAT/);
  });

  it('reads the earliest event time, 1990-01-01 by default and not before 1900', () => {
    expect(loadConfig({}).ingest.earliestEventTime).toBe(Date.UTC(1990, 0, 1));
    expect(loadConfig({ RAPPORT_EARLIEST_EVENT_TIME: '1970-01-01' }).ingest.earliestEventTime).toBe(
      0,
    );
    expect(() => loadConfig({ RAPPORT_EARLIEST_EVENT_TIME: '1899-12-31' })).toThrow(
      /RAPPORT_EARLIEST_EVENT_TIME: must be 1900-01-01 or later/,
    );
    expect(() => loadConfig({ RAPPORT_EARLIEST_EVENT_TIME: 'last year' })).toThrow(
      /RAPPORT_EARLIEST_EVENT_TIME: must be a date, YYYY-MM-DD/,
    );
  });

  it('reads the email-provider keys, checking the SendGrid one is a P-256 public key', () => {
    expect(loadConfig({}).providers).toEqual({});
    const key =
      'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
    expect(
      loadConfig({
        RAPPORT_SENDGRID_VERIFICATION_KEY: key,
        RAPPORT_MAILGUN_SIGNING_KEY: 'key-12345678',
      }).providers,
    ).toEqual({ sendgridVerificationKey: key, mailgunSigningKey: 'key-12345678' });
    expect(() => loadConfig({ RAPPORT_SENDGRID_VERIFICATION_KEY: 'c2VjcmV0' })).toThrow(
      /RAPPORT_SENDGRID_VERIFICATION_KEY: is not a public key/,
    );
    expect(() => loadConfig({ RAPPORT_SENDGRID_VERIFICATION_KEY: 'c2VjcmV0' })).not.toThrow(
      /c2VjcmV0/,
    );
  });

  it('uses a ClickHouse server when CLICKHOUSE_URL is set', () => {
    const config = loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_DATABASE: 'crm' });
    expect(config.store).toMatchObject({ mode: 'http', url: 'http://ch:8123', database: 'crm' });
    expect(() => loadConfig({ CLICKHOUSE_DATABASE: 'x; DROP' })).toThrow(/CLICKHOUSE_DATABASE/);
  });
});

describe('webhook settings', () => {
  const secret = 'whsec-0123456789abcdef';

  it('are off without URLs, and read with their defaults when URLs are given', () => {
    expect(loadConfig({}).webhooks).toBeUndefined();
    expect(loadConfig({ RAPPORT_WEBHOOK_URLS: ' , ' }).webhooks).toBeUndefined();
    const config = loadConfig({
      RAPPORT_WEBHOOK_URLS: 'https://crm.example.com/hooks/rapport, http://127.0.0.1:9000/in',
      RAPPORT_WEBHOOK_SECRET: secret,
    });
    expect(config.webhooks).toEqual({
      urls: ['https://crm.example.com/hooks/rapport', 'http://127.0.0.1:9000/in'],
      secret,
      maxAttempts: 8,
      backoffMs: { initial: 1000, max: 300_000 },
      timeoutMs: 10_000,
      batchSize: 500,
    });
    expect(Object.isFrozen(config.webhooks)).toBe(true);
  });

  it('parse the tuning variables', () => {
    const config = loadConfig({
      RAPPORT_WEBHOOK_URLS: 'https://a.example/h',
      RAPPORT_WEBHOOK_SECRET: secret,
      RAPPORT_WEBHOOK_MAX_ATTEMPTS: '3',
      RAPPORT_WEBHOOK_BACKOFF_MS: '250',
      RAPPORT_WEBHOOK_TIMEOUT_MS: '2000',
      RAPPORT_WEBHOOK_BATCH_SIZE: '50',
    });
    expect(config.webhooks).toMatchObject({
      maxAttempts: 3,
      backoffMs: { initial: 250, max: 300_000 },
      timeoutMs: 2000,
      batchSize: 50,
    });
  });

  it('name each bad variable', () => {
    const error = catchError(() =>
      loadConfig({
        RAPPORT_WEBHOOK_URLS: 'https://a.example/h',
        RAPPORT_WEBHOOK_SECRET: secret,
        RAPPORT_WEBHOOK_MAX_ATTEMPTS: '0',
        RAPPORT_WEBHOOK_BACKOFF_MS: '300001',
        RAPPORT_WEBHOOK_TIMEOUT_MS: 'soon',
        RAPPORT_WEBHOOK_BATCH_SIZE: '2.5',
      }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of [
      'RAPPORT_WEBHOOK_MAX_ATTEMPTS',
      'RAPPORT_WEBHOOK_BACKOFF_MS',
      'RAPPORT_WEBHOOK_TIMEOUT_MS',
      'RAPPORT_WEBHOOK_BATCH_SIZE',
    ]) {
      expect(error.message).toContain(`${name}: `);
    }
  });

  it('refuse URLs that are not http(s) without echoing the rest of them', () => {
    const error = catchError(() =>
      loadConfig({
        RAPPORT_WEBHOOK_URLS: 'https://ok.example/h,ftp://files.example/token-abc123,not a url',
        RAPPORT_WEBHOOK_SECRET: secret,
      }),
    );
    expect(error.message).toMatch(/RAPPORT_WEBHOOK_URLS: entry "ftp:\/\/fi…" must be an http/);
    expect(error.message).toMatch(/RAPPORT_WEBHOOK_URLS: entry "not a ur…" must be an http/);
    expect(error.message).not.toContain('token-abc123');
  });

  it('require a secret of 16 characters or more with URLs, and never show it', () => {
    expect(() => loadConfig({ RAPPORT_WEBHOOK_URLS: 'https://a.example/h' })).toThrow(
      /RAPPORT_WEBHOOK_SECRET: webhooks are signed/,
    );
    expect(() =>
      loadConfig({ RAPPORT_WEBHOOK_URLS: 'https://a.example/h', RAPPORT_WEBHOOK_SECRET: '' }),
    ).toThrow(/RAPPORT_WEBHOOK_SECRET: webhooks are signed/);
    const error = catchError(() =>
      loadConfig({
        RAPPORT_WEBHOOK_URLS: 'https://a.example/h',
        RAPPORT_WEBHOOK_SECRET: 'short-secret',
      }),
    );
    expect(error.message).toMatch(/RAPPORT_WEBHOOK_SECRET: must be at least 16 characters/);
    expect(error.message).not.toContain('short-secret');
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
