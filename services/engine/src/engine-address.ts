import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a running engine listens, written into its data directory so that the command line
 * (`rapport demo`, `rapport jobs …`) finds it without being told: one engine owns a data
 * directory, so the directory names the engine.
 */

const FILE = 'rapport-engine.json';

interface EngineAddress {
  url: string;
  pid: number;
}

/** The URL a client on this machine reaches a server listening on `address` by. */
export function clientUrl(address: string): string {
  const url = new URL(address);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = '127.0.0.1';
  return url.origin;
}

export function writeEngineAddress(dataDir: string, address: string): void {
  const record: EngineAddress = { url: clientUrl(address), pid: process.pid };
  writeFileSync(join(dataDir, FILE), `${JSON.stringify(record)}\n`);
}

/** Removes the record, if it is this process's own. */
export function removeEngineAddress(dataDir: string): void {
  if (readRecord(dataDir)?.pid === process.pid) rmSync(join(dataDir, FILE), { force: true });
}

function readRecord(dataDir: string): EngineAddress | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as Partial<EngineAddress>;
    return typeof parsed.url === 'string' && Number.isSafeInteger(parsed.pid)
      ? { url: parsed.url, pid: parsed.pid! }
      : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The URL of the engine running on `dataDir`, if one is (a record left by a crash is ignored). */
export function findRunningEngine(dataDir: string): string | undefined {
  const record = readRecord(dataDir);
  return record !== undefined && isAlive(record.pid) ? record.url : undefined;
}

/**
 * The process holding the embedded store at `dataDir`, if another one does: the store writes
 * its owner's pid into `status` and keeps that file locked while it runs. Asked before
 * opening, so a command can say what to do instead of the store's own lock error.
 */
export function storeHolder(dataDir: string): number | undefined {
  let pid: number;
  try {
    const match = /^PID:\s*(\d+)/m.exec(readFileSync(join(dataDir, 'status'), 'utf8'));
    if (!match?.[1]) return undefined;
    pid = Number(match[1]);
  } catch {
    return undefined;
  }
  if (pid === process.pid || !isAlive(pid)) return undefined;
  try {
    // A pid reused by an unrelated program since the store's owner exited is not the owner.
    if (!/node|rapport/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) return undefined;
  } catch {
    // No /proc here: trust the pid.
  }
  return pid;
}
