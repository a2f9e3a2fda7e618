import { describe, expect, it } from 'vitest';
import { profileRowsWriteSql } from './profile-rows-sql.js';

describe('the profile rows write', () => {
  it('rewrites the rows batches touched at the lowest CPU priority, a rebuild at the default', () => {
    expect(profileRowsWriteSql({ scoped: true })).toMatch(/\nSETTINGS os_thread_priority = 19$/);
    expect(profileRowsWriteSql({ scoped: false })).not.toContain('os_thread_priority');
  });
});
