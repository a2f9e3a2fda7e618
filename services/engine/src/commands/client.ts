import { resolve } from 'node:path';
import { findRunningEngine } from '../engine-address.js';

/**
 * How a command that talks to an engine finds it: `--url`, else `RAPPORT_URL`, else the
 * engine running on this directory's data directory (`RAPPORT_DATA_DIR`, default
 * `.rapport-data`), which writes its address there when it starts.
 */
export interface EngineTarget {
  url?: string;
  apiKey?: string;
  /** How the URL was found, for messages. */
  foundBy?: '--url' | 'RAPPORT_URL' | 'data directory';
}

export function dataDirectory(): string {
  return resolve(process.env.RAPPORT_DATA_DIR || '.rapport-data');
}

export function findEngine(options: { url?: string; apiKey?: string }): EngineTarget {
  const apiKey = options.apiKey ?? (process.env.RAPPORT_API_KEY || undefined);
  const key = apiKey === undefined ? {} : { apiKey };
  if (options.url) return { url: options.url, foundBy: '--url', ...key };
  if (process.env.RAPPORT_URL)
    return { url: process.env.RAPPORT_URL, foundBy: 'RAPPORT_URL', ...key };
  const running = findRunningEngine(dataDirectory());
  return running === undefined ? key : { url: running, foundBy: 'data directory', ...key };
}

/** The address an engine started here with the default settings listens on. */
export const defaultEngineUrl = () => `http://127.0.0.1:${process.env.RAPPORT_PORT || 8080}`;

/** What to do about an answer of 401 or 403 from the engine, for the command line. */
export function keyAdvice(status: number, hadKey: boolean): string {
  if (status === 401) {
    return hadKey
      ? 'the engine refused the API key: pass a valid one with --api-key <key> (or RAPPORT_API_KEY)'
      : 'the engine has API keys configured: pass one with --api-key <key> (or RAPPORT_API_KEY)';
  }
  return 'pass a key with that scope with --api-key <key> (or RAPPORT_API_KEY)';
}
