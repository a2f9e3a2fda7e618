import { cpuPrioritySetting, LOWEST_NICE } from '@rapport/store';
import { HttpError } from './http-error.js';

export interface QueryGateOptions {
  /** Heavy queries running at once, at most. */
  concurrency: number;
  /** How long a query waits for its turn before it is refused (503 with Retry-After). */
  queueMs: number;
  /** Memory one query may use in the store, in bytes (ClickHouse max_memory_usage). */
  maxMemoryBytes: number;
  /** Threads one query may use in the store (ClickHouse max_threads; 0: one per core). Default 1. */
  threads?: number;
}

/**
 * Admits heavy queries (segment previews, reports, exports) a few at a time: the others wait
 * in line, and past `queueMs` are answered 503 with Retry-After, so that heavy work queues
 * instead of piling onto the store in front of profile look-ups. `settings` caps what each
 * one may take: memory, its threads, and the lowest OS priority for them (nice 19), so that
 * look-ups and ingest get the CPU first and a heavy query the rest of it.
 */
export class QueryGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: QueryGateOptions) {}

  /** ClickHouse settings for a heavy query's `SETTINGS` clause. */
  get settings(): string {
    return `max_memory_usage = ${this.options.maxMemoryBytes}, max_threads = ${this.options.threads ?? 1}, ${cpuPrioritySetting(LOWEST_NICE)}`;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Waits for a turn (or throws the 503); call the returned function once done. */
  async acquire(): Promise<() => void> {
    await this.admit();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.waiting.shift()?.();
    };
  }

  private admit(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        this.running++;
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(turn);
        if (at !== -1) this.waiting.splice(at, 1);
        reject(
          new HttpError(
            503,
            `too many heavy queries (previews, reports, exports) at once: ${this.options.concurrency} run and the others waited ${this.options.queueMs} ms; retry later`,
            { 'retry-after': String(Math.max(1, Math.ceil(this.options.queueMs / 1000))) },
          ),
        );
      }, this.options.queueMs);
      this.waiting.push(turn);
    });
  }
}
