import type { ChildProcess } from 'node:child_process';
import { percentile } from '../lib/stats.js';
import { difference, readStoreWriterCounters } from './engine-metrics.js';
import { startEngine } from '../lib/engine-process.js';
import { kernelCpuSecondsOf, ownCpuSeconds } from '../lib/process-stats.js';
import { sendBatches, type RequestBody } from './http-load.js';

export interface EndToEndResult {
  events: number;
  requests: number;
  seconds: number;
  eventsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  enginePeakRssBytes: number | undefined;
  /** CPU seconds the engine used during the timed run (all its threads). */
  engineCpuSeconds: number | undefined;
  /** The part of engineCpuSeconds spent in the kernel (file system, network, scheduling). */
  engineKernelCpuSeconds: number | undefined;
  /** CPU seconds of this process, the load generator, during the timed run. */
  loadGeneratorCpuSeconds: number;
  /** What the engine's batch writer did during the timed run. */
  storeWrites: { writes: number; rows: number; seconds: number };
}

/** The engine's defaults; raised only when a benchmark batch would not fit them. */
const DEFAULT_MAX_EVENTS = 1000;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function limitsFor(bodies: readonly RequestBody[]): Record<string, string> {
  const events = bodies.reduce((most, body) => Math.max(most, body.events), 0);
  const bytes = bodies.reduce((most, body) => Math.max(most, body.body.length), 0);
  return {
    ...(events > DEFAULT_MAX_EVENTS ? { RAPPORT_MAX_EVENTS_PER_REQUEST: String(events) } : {}),
    ...(bytes > DEFAULT_MAX_BODY_BYTES ? { RAPPORT_MAX_BODY_BYTES: String(bytes) } : {}),
  };
}

/**
 * Starts the engine on `dataDir`, sends the warm-up batches, then times the timed batches
 * from the first request to the last answer.
 */
export async function measureEndToEnd(options: {
  dataDir: string;
  warmup: readonly RequestBody[];
  timed: readonly RequestBody[];
  concurrency: number;
  onSpawn?: (child: ChildProcess) => void;
}): Promise<EndToEndResult> {
  const engine = await startEngine({
    dataDir: options.dataDir,
    env: limitsFor([...options.warmup, ...options.timed]),
    ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
  });
  let stopped = false;
  try {
    if (options.warmup.length > 0) {
      await sendBatches(engine.origin, options.warmup, options.concurrency);
    }
    const before = await readStoreWriterCounters(engine.origin);
    const cpuBefore = engine.cpuSeconds();
    const kernelBefore = kernelCpuSecondsOf(engine.pid);
    const loadCpuBefore = ownCpuSeconds();
    const load = await sendBatches(engine.origin, options.timed, options.concurrency);
    const loadGeneratorCpuSeconds = ownCpuSeconds() - loadCpuBefore;
    const cpuAfter = engine.cpuSeconds();
    const kernelAfter = kernelCpuSecondsOf(engine.pid);
    const after = await readStoreWriterCounters(engine.origin);
    const expected = options.timed.reduce((sum, body) => sum + body.events, 0);
    if (load.accepted !== expected) {
      throw new Error(`the engine accepted ${load.accepted} of ${expected} events`);
    }
    const enginePeakRssBytes = engine.peakRssBytes();
    stopped = true;
    await engine.stop();
    return {
      events: load.events,
      requests: load.requests,
      seconds: load.seconds,
      eventsPerSecond: load.events / load.seconds,
      latencyMs: {
        p50: percentile(load.latenciesMs, 50),
        p99: percentile(load.latenciesMs, 99),
        max: percentile(load.latenciesMs, 100),
      },
      enginePeakRssBytes,
      engineCpuSeconds:
        cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
      engineKernelCpuSeconds:
        kernelBefore === undefined || kernelAfter === undefined
          ? undefined
          : kernelAfter - kernelBefore,
      loadGeneratorCpuSeconds,
      storeWrites: difference(after, before),
    };
  } finally {
    if (!stopped) await engine.stop().catch(() => undefined);
  }
}
