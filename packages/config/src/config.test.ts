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
    expect(config.jobs.schedules).toEqual({ rfm: '0 3 * * *' });
    expect(() => loadConfig({ RAPPORT_SCHEDULE_RFM: 'at three' })).toThrow(
      /RAPPORT_SCHEDULE_RFM: "at three" is not a cron expression/,
    );
  });

  it('uses a ClickHouse server when CLICKHOUSE_URL is set', () => {
    const config = loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_DATABASE: 'crm' });
    expect(config.store).toMatchObject({ mode: 'http', url: 'http://ch:8123', database: 'crm' });
    expect(() => loadConfig({ CLICKHOUSE_DATABASE: 'x; DROP' })).toThrow(/CLICKHOUSE_DATABASE/);
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
