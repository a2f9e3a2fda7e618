import type { App } from '@rapport/http';

/** One service of distributed mode, composed and ready to listen. */
export interface Service {
  name: 'ingest' | 'pipeline' | 'api' | 'jobs';
  app: App;
  /** Stops intake, finishes and acknowledges the work in hand, disconnects. Safe to call twice. */
  close(): Promise<void>;
}

/** Runs `steps` once, however often close() is called. */
export function closeOnce(steps: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= steps());
}
