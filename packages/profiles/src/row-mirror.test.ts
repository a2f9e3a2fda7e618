import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RowMirror, type MirroredRow } from './row-mirror.js';

// The mirror's own rules: whom it trusts when it opens, and what stays in its file.

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-mirror-'));
  dirs.push(dir);
  return dir;
}

const row = (version: number, payload = '{}'): MirroredRow => ({
  version,
  payload,
  lastSeenMs: 1,
  active: { lifecycle: 'lead' },
  lapsed: { lifecycle: 'lapsed' },
});

const opening = (dir: string, token: string, previous: string | null) => ({
  dataDir: dir,
  token,
  previous,
});

describe('RowMirror', () => {
  it('is trusted only by the next opening after a clean close, with the same shape, no migration between', async () => {
    const dir = dataDir();
    const first = await RowMirror.open(opening(dir, 'a', null), { shape: 's1' });
    expect(first.trusted).toBe(false);
    await first.put([['c:ada', row(1)]], new Set());
    await first.close(['c:bob']);

    const next = await RowMirror.open(opening(dir, 'b', 'a'), { shape: 's1' });
    expect(next.trusted).toBe(true);
    expect(next.pending).toEqual(['c:bob']);
    expect(next.get('c:ada')?.version).toBe(1);
    // Closed without the rows being trusted (say, before a rebuild finished): not handed on.
    await next.close(undefined);

    const untrusted = await RowMirror.open(opening(dir, 'c', 'b'), { shape: 's1' });
    expect(untrusted.trusted).toBe(false);
    expect(untrusted.get('c:ada')).toBeUndefined();
    await untrusted.put([['c:ada', row(2)]], new Set());
    await untrusted.close([]);

    // Another process opened the store in between (its token is not the one that closed it).
    const skipped = await RowMirror.open(opening(dir, 'e', 'd'), { shape: 's1' });
    expect([skipped.trusted, skipped.get('c:ada')]).toEqual([false, undefined]);
    await skipped.put([['c:ada', row(3)]], new Set());
    await skipped.close([]);

    const reshaped = await RowMirror.open(opening(dir, 'f', 'e'), { shape: 's2' });
    expect(reshaped.trusted).toBe(false);
    await reshaped.put([['c:ada', row(4)]], new Set());
    await reshaped.close([]);

    const migrated = await RowMirror.open(opening(dir, 'g', 'f'), { shape: 's2', fresh: true });
    expect(migrated.trusted).toBe(false);
    await migrated.close([]);
    // Opened and not closed (a crash) is what a close without trust leaves: the state above.
    const again = await RowMirror.open(opening(dir, 'h', 'g'), { shape: 's2' });
    expect(again.trusted).toBe(true);
    await again.close(undefined);
  });

  it('opens only the bytes its clean close sealed: a changed file is deleted unread', async () => {
    const dir = dataDir();
    const file = join(dir, 'profile-mirror.mdb');
    const damages: [string, () => void][] = [
      ['truncated', () => truncateSync(file, 8192)],
      [
        'one byte flipped',
        () => {
          const bytes = readFileSync(file);
          bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 1;
          writeFileSync(file, bytes);
        },
      ],
      ['its seal gone', () => rmSync(`${file}.seal`)],
    ];
    let previous: string | null = null;
    for (const [index, [damage, apply]] of damages.entries()) {
      const first = await RowMirror.open(opening(dir, `w${index}`, previous), { shape: 's' });
      await first.put([['c:ada', row(1)]], new Set());
      await first.close([]);
      apply();
      const next = await RowMirror.open(opening(dir, `r${index}`, `w${index}`), { shape: 's' });
      expect([damage, next.seal, next.trusted, next.size()]).toEqual([
        damage,
        damage === 'its seal gone' ? 'unsealed' : 'damaged',
        false,
        0,
      ]);
      await next.close(undefined);
      previous = `r${index}`;
    }
    // Sealed and untouched: trusted, and the seal is spent (the file changes from now on).
    const sealed = await RowMirror.open(opening(dir, 'a', previous), { shape: 's' });
    await sealed.put([['c:ada', row(1)]], new Set());
    await sealed.close([]);
    const trusted = await RowMirror.open(opening(dir, 'b', 'a'), { shape: 's' });
    expect([trusted.seal, trusted.trusted, trusted.get('c:ada')?.version]).toEqual([
      'sealed',
      true,
      1,
    ]);
    expect(() => readFileSync(`${file}.seal`)).toThrow();
    await trusted.close(undefined);
  });

  it('hands on thousands of owed keys (a state written compressed)', async () => {
    const dir = dataDir();
    const owed = Array.from({ length: 5_000 }, (_, index) => `c:owed-${index}`);
    const first = await RowMirror.open(opening(dir, 'a', null), { shape: 's' });
    await first.put([['c:ada', row(1)]], new Set());
    await first.close(owed);
    const next = await RowMirror.open(opening(dir, 'b', 'a'), { shape: 's' });
    expect([next.trusted, next.pending]).toEqual([true, owed]);
    await next.close(undefined);
  });

  it('never replaces a row with an older version, and writes none of the excluded keys', async () => {
    const mirror = await RowMirror.open(opening(dataDir(), 'a', null), { shape: 's' });
    await mirror.put([['c:ada', row(5)]], new Set());
    await mirror.put(
      [
        ['c:ada', row(4)],
        ['c:eve', row(9)],
      ],
      new Set(['c:eve']),
    );
    expect(mirror.get('c:ada')?.version).toBe(5);
    expect(mirror.get('c:eve')).toBeUndefined();
    await mirror.put([['c:ada', row(6)]], new Set());
    expect(mirror.get('c:ada')?.version).toBe(6);
    await mirror.close(undefined);
  });

  it('leaves none of a deleted row’s bytes in its file once compacted', async () => {
    const dir = dataDir();
    const mirror = await RowMirror.open(opening(dir, 'a', null), { shape: 's' });
    const secret = 'erase-me-7f3a9c@example.com';
    const payload = (email: string) => JSON.stringify({ traits: { email } });
    await mirror.put(
      [
        ['c:erased', row(1, payload(secret))],
        ['c:kept', row(1, payload('kept@example.com'))],
      ],
      new Set(),
    );
    const file = join(dir, 'profile-mirror.mdb');
    expect(readFileSync(file).includes(secret)).toBe(true);
    await mirror.delete(['c:erased']);
    await mirror.compact();
    expect(readFileSync(file).includes(secret)).toBe(false);
    expect(mirror.get('c:kept')?.payload).toBe(payload('kept@example.com'));
    expect(mirror.get('c:erased')).toBeUndefined();
    await mirror.close(undefined);
  });
});
