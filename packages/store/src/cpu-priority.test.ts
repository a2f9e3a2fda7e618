import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuPrioritySetting, LOWEST_NICE, mayLowerThreadPriority } from './cpu-priority.js';
import { openTestStore, type TestStore } from './testing.js';

/** The threads of this process at `nice` (Linux: the 19th field of /proc/self/task/<tid>/stat). */
function threadsAt(nice: number): string[] {
  const at: string[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    // Fields after the name, which is in parentheses and may hold spaces: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[16]) === nice) at.push(tid);
  }
  return at;
}

/** A statement of a second or so on one thread. */
const SLOW = 'SELECT count() FROM numbers(20000000) WHERE sipHash64(number) % 7 = 3';

/** The most threads seen at `nice` while `work` ran, looked at every 5 ms. */
async function mostThreadsAtWhile(nice: number, work: Promise<unknown>): Promise<number> {
  let done = false;
  const ended = work.finally(() => {
    done = true;
  });
  let most = 0;
  while (!done) {
    most = Math.max(most, threadsAt(nice).length);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await ended;
  return most;
}

describe('cpuPrioritySetting', () => {
  it('is nothing at 0 and the nice value every server version takes above it', () => {
    expect(cpuPrioritySetting(0)).toBe('');
    expect(cpuPrioritySetting(LOWEST_NICE)).toBe('os_thread_priority = 19');
    expect(cpuPrioritySetting(10)).toBe('os_thread_priority = 10');
  });

  it('refuses what is not a nice value, naming it', () => {
    for (const nice of [-1, 20, 2.5, Number.NaN]) {
      expect(() => cpuPrioritySetting(nice)).toThrow(
        new RangeError(`a nice value must be an integer from 0 to 19, not ${nice}`),
      );
    }
  });
});

const status = (capEff: string) => `Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t${capEff}\n`;

describe('mayLowerThreadPriority', () => {
  it('tells CAP_SYS_NICE from the effective capabilities', () => {
    expect(mayLowerThreadPriority(status('000001ffffffffff'))).toBe(true);
    expect(mayLowerThreadPriority(status('0000000000800000'))).toBe(true);
    // Every capability but CAP_SYS_NICE (bit 23).
    expect(mayLowerThreadPriority(status('000001ffff7fffff'))).toBe(false);
    expect(mayLowerThreadPriority(status('0000000000000000'))).toBe(false);
    expect(mayLowerThreadPriority('Name:\tnode\n')).toBe(false);
  });

  it('reads this process’s own status', () => {
    expect(typeof mayLowerThreadPriority()).toBe('boolean');
  });
});

describe('a statement at a nice value, on the embedded store', () => {
  let test: TestStore;
  beforeAll(async () => {
    test = await openTestStore();
  });
  afterAll(async () => {
    await test.dispose();
  });

  it('runs its threads at that value while it runs, and gives them back their priority after', async () => {
    expect(threadsAt(LOWEST_NICE)).toEqual([]);
    const niced = test.store.query(
      `${SLOW} SETTINGS max_threads = 1, ${cpuPrioritySetting(LOWEST_NICE)}`,
    );
    const most = await mostThreadsAtWhile(LOWEST_NICE, niced);
    // Without CAP_SYS_NICE the engine leaves the priority as it is (no error).
    if (mayLowerThreadPriority()) expect(most).toBeGreaterThan(0);
    else expect(most).toBe(0);
    expect(threadsAt(LOWEST_NICE)).toEqual([]);

    // The connection's next statement, without the setting, runs as everything else.
    const plain = test.store.query(`${SLOW} SETTINGS max_threads = 1`);
    expect(await mostThreadsAtWhile(LOWEST_NICE, plain)).toBe(0);
  });
});
