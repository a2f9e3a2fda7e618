import { openStore, type Store } from '@rapport/store';

/** The embedded store in a benchmark's data directory, as the engine names its database. */
export function openDatasetStore(dataDir: string): Promise<Store> {
  return openStore({ mode: 'embedded', dataDir, database: 'rapport', readConnections: 1 });
}
