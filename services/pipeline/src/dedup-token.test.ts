import { describe, expect, it } from 'vitest';
import { dedupTokenOf } from './dedup-token.js';

describe('insert deduplication token', () => {
  it('names a block by the event ids it writes, in order, and nothing else', () => {
    const token = dedupTokenOf(['e-1', 'e-2']);
    expect(token).toMatch(/^events-[0-9a-f]{40}$/);
    expect(dedupTokenOf(['e-1', 'e-2'])).toBe(token);
  });

  it('differs when the block writes other events, fewer of them, or the same in another order', () => {
    const all = dedupTokenOf(['a', 'b']);
    expect(dedupTokenOf(['b'])).not.toBe(all);
    expect(dedupTokenOf(['x', 'y'])).not.toBe(all);
    expect(dedupTokenOf(['b', 'a'])).not.toBe(all);
    // Ids are joined unambiguously, whatever characters they hold.
    expect(dedupTokenOf(['ab'])).not.toBe(dedupTokenOf(['a', 'b']));
    expect(dedupTokenOf(['a\nb'])).not.toBe(dedupTokenOf(['a', 'b']));
  });
});
