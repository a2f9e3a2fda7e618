import { defineConfig } from 'vitest/config';

// chdb cannot run in worker threads and one process owns a data directory, so every test
// file runs in its own forked process with its own store.
export default defineConfig({
  test: {
    pool: 'forks',
    // A local Kafka broker for the Kafka suites (see infra/kafka/), unless KAFKA_BROKERS is set.
    // Debian's Chromium for the browser suites, installed when missing (as root with apt).
    globalSetup: ['infra/kafka/vitest-global-setup.mjs', 'tests/support/chromium-global-setup.ts'],
    include: ['**/src/**/*.test.ts', 'tests/**/*.test.ts', 'schemas/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
