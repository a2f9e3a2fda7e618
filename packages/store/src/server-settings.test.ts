import { describe, expect, it } from 'vitest';
import { serverSettings } from './store.js';

describe('settings sent to a ClickHouse server', () => {
  it('on a cluster, make every insert through a distributed table wait for the shards', () => {
    // A job's INSERT … SELECT reads its result straight back: queued rows would read as
    // missing members and publish false exits.
    expect(serverSettings('rapport_cluster')).toMatchObject({
      insert_distributed_sync: 1,
      distributed_product_mode: 'global',
    });
  });

  it('on one server, add nothing a cluster needs', () => {
    expect(serverSettings(undefined)).toEqual({ output_format_json_quote_64bit_integers: 0 });
  });
});
