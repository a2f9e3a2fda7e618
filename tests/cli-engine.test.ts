import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, signal, spawnEngine, type SpawnedEngine } from './support/spawn-engine.js';

/**
 * The command line against a running engine with API keys: it finds the engine by its data
 * directory, passes --api-key, and says what to type when a key is missing or lacks a scope.
 */

const READER = 'reader-key-1234567890';
const ADMIN = 'admin-key-0987654321';
const dataDir = mkdtempSync(join(tmpdir(), 'rapport-cli-'));
let engine: SpawnedEngine;

beforeAll(async () => {
  engine = await spawnEngine({
    dataDir,
    env: { RAPPORT_API_KEYS: `${READER}:read,${ADMIN}:admin`, RAPPORT_SCHEDULE_SEGMENTS: 'off' },
  });
}, 120_000);
afterAll(async () => {
  if (engine) {
    signal(engine, 'SIGTERM');
    await engine.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

/** `npx rapport …` in the checkout, on the engine's data directory; never throws. */
async function rapport(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir, NO_COLOR: '1' };
  delete env.RAPPORT_URL;
  delete env.RAPPORT_API_KEY;
  delete env.RAPPORT_PORT;
  try {
    const { stdout, stderr } = await promisify(execFile)('npx', ['rapport', ...args], {
      cwd: repoRoot,
      env,
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('npx rapport against a running engine with keys', () => {
  it('finds the engine by itself and says how to pass a key when none was given', async () => {
    const listed = await rapport('jobs', 'list');
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toContain('answered 401');
    expect(listed.stderr).toContain('pass one with --api-key <key> (or RAPPORT_API_KEY)');
    expect(listed.stderr).not.toMatch(/Cannot lock file|Code: 76/);
  }, 120_000);

  it('takes --api-key, before or after the subcommand', async () => {
    const after = await rapport('jobs', 'list', '--api-key', READER);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/^rfm\s/m);
    const before = await rapport('jobs', '--api-key', READER, 'list');
    expect(before.code, before.stderr).toBe(0);
  }, 120_000);

  it('says which scope a key lacks, and runs the job with one that has it', async () => {
    const refused = await rapport('jobs', 'run', 'rfm', '--api-key', READER);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/answered 403: .*lacks the "admin" scope/);
    const demo = await rapport('demo', '--customers', '20', '--api-key', READER);
    expect(demo.code).not.toBe(0);
    expect(demo.stderr).toMatch(/the key needs the "ingest" scope/);
    const loaded = await rapport('demo', '--customers', '20', '--api-key', ADMIN);
    expect(loaded.code, loaded.stderr).toBe(0);
    const run = await rapport('jobs', 'run', 'rfm', '--as-of', '2024-12-31', '--api-key', ADMIN);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^status {4}succeeded/m);
    // The summary is the command's own output: no JSON log lines among it.
    expect(run.stdout).not.toMatch(/^\{"level"/m);
  }, 240_000);
});
