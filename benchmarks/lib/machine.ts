import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { migrationsDir } from '@rapport/schemas';

export const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The checkout measured: its commit, and whether it had uncommitted changes. */
export function checkoutOf(): { commit: string; dirty: boolean } | undefined {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return {
      commit: git('rev-parse', '--short', 'HEAD'),
      dirty: git('status', '--porcelain') !== '',
    };
  } catch {
    return undefined;
  }
}

/** The schema migration files of this checkout, in order. */
export function migrationFiles(): string[] {
  return readdirSync(migrationsDir)
    .filter((name) => name.endsWith('.sql'))
    .sort();
}

/** The 1-minute load average now: other work on the machine skews every figure. */
export const loadAverage1m = () => round(loadavg()[0] ?? 0, 2);

/** The machine, with its 1-minute load average at the start of the run and now. */
export function machineOf(loadAtStart: number) {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    loadAverage1m: { start: round(loadAtStart, 2), end: loadAverage1m() },
  };
}
