import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clientUrl,
  findRunningEngine,
  removeEngineAddress,
  storeHolder,
  writeEngineAddress,
} from './engine-address.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-address-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A node process that lives until killed, standing in for another engine. */
async function otherProcess() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return child;
}

describe('finding the engine that runs on a data directory', () => {
  it('finds the address the engine wrote, and nothing once it removed it', () => {
    const dir = tempDir();
    expect(findRunningEngine(dir)).toBeUndefined();
    writeEngineAddress(dir, 'http://127.0.0.1:41234');
    expect(findRunningEngine(dir)).toBe('http://127.0.0.1:41234');
    removeEngineAddress(dir);
    expect(findRunningEngine(dir)).toBeUndefined();
  });

  it('ignores an address left by an engine that died', async () => {
    const dir = tempDir();
    const child = await otherProcess();
    writeFileSync(
      join(dir, 'rapport-engine.json'),
      JSON.stringify({ url: 'http://127.0.0.1:5', pid: child.pid }),
    );
    expect(findRunningEngine(dir)).toBe('http://127.0.0.1:5');
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(findRunningEngine(dir)).toBeUndefined();
  });

  it('gives a client a loopback URL for an engine listening on every interface', () => {
    expect(clientUrl('http://0.0.0.0:8080')).toBe('http://127.0.0.1:8080');
    expect(clientUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
  });

  it("names the live process holding the store, from the store's status file", async () => {
    const dir = tempDir();
    expect(storeHolder(dir)).toBeUndefined();
    const child = await otherProcess();
    writeFileSync(join(dir, 'status'), `PID: ${child.pid}\nStarted at: 2026-12-01 10:00:00\n`);
    expect(storeHolder(dir)).toBe(child.pid);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(storeHolder(dir)).toBeUndefined();
    writeFileSync(join(dir, 'status'), `PID: ${process.pid}\n`);
    expect(storeHolder(dir)).toBeUndefined();
  });
});
