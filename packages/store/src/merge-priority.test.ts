import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MergeThreadPriority } from './merge-priority.js';
import { openStore, type Store } from './store.js';

/** This process's threads: name and nice value (field 19 of its stat, after the name). */
function threads(): { tid: string; name: string; nice: number }[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ tid, name, nice: Number(fields[16]) }];
    } catch {
      return [];
    }
  });
}

const linux = existsSync('/proc/self/task');

describe('MergeThreadPriority', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-merge-nice-'));
  let store: Store | undefined;

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!linux)(
    "runs an embedded store's merge threads at the nice value set, and no other thread",
    async () => {
      store = await openStore({
        mode: 'embedded',
        dataDir: dir,
        database: 'merge_nice',
        readConnections: 1,
        mergeNice: 17,
      });
      await store.command('CREATE TABLE t (k UInt64) ENGINE = MergeTree ORDER BY k');
      // Parts to merge.
      for (let i = 0; i < 8; i++) await store.command(`INSERT INTO t SELECT ${i}`);
      await store.command('OPTIMIZE TABLE t FINAL');
      // The store looks every 5 s: a merge thread started since is set at the next look.
      const deadline = Date.now() + 20_000;
      let merges = threads().filter((t) => t.name.startsWith('MergeMutate'));
      while (Date.now() < deadline && (merges.length === 0 || merges.some((t) => t.nice !== 17))) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        merges = threads().filter((t) => t.name.startsWith('MergeMutate'));
      }
      expect(merges.length).toBeGreaterThan(0);
      expect(merges.map((t) => t.nice)).toEqual(merges.map(() => 17));
      const others = threads().filter((t) => !t.name.startsWith('MergeMutate'));
      expect(others.filter((t) => t.nice === 17)).toEqual([]);
      expect(await store.query('SELECT count() AS n FROM t')).toEqual([{ n: 8 }]);
    },
    30_000,
  );

  it('sets nothing where the system lists no threads', () => {
    expect(new MergeThreadPriority(19, { taskDir: join(dir, 'none') }).lower()).toBe(0);
  });

  it('refuses a nice value out of range', () => {
    expect(() => new MergeThreadPriority(20)).toThrow(/from 0 to 19, not 20/);
    expect(() => new MergeThreadPriority(-1)).toThrow(/from 0 to 19, not -1/);
  });
});
