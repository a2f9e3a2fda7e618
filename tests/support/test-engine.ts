import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@rapport/config';
import { createEngine, type Engine } from '@rapport/engine';
import { createLogger } from '@rapport/observability';

export interface TestEngine extends Engine {
  dataDir: string;
  /** Closes the engine and removes its data. */
  dispose(): Promise<void>;
}

/**
 * An engine on a fresh embedded store. A process can open one store path only, so a test
 * file starts one engine and shares it among its tests.
 */
export async function startTestEngine(env: Record<string, string> = {}): Promise<TestEngine> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-test-'));
  // No scheduled runs: a test starts the runs it needs.
  const config = loadConfig({
    RAPPORT_DATA_DIR: dataDir,
    RAPPORT_LOG_LEVEL: 'silent',
    RAPPORT_SCHEDULE_SEGMENTS: 'off',
    ...env,
  });
  const engine = await createEngine({ config, logger: createLogger({ level: config.logLevel }) });
  return {
    ...engine,
    dataDir,
    dispose: async () => {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Number of rows in `events` with these ids. */
export async function countStored(engine: Engine, eventIds: string[]): Promise<number> {
  const [row] = await engine.store.query<{ n: number }>(
    'SELECT count() AS n FROM events WHERE event_id IN {ids:Array(String)}',
    { ids: eventIds },
  );
  return Number(row?.n ?? 0);
}
