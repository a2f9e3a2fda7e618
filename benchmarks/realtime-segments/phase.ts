import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineProcess } from '../lib/engine-process.js';
import { round } from '../lib/machine.js';
import { fetchMetrics, metricValue } from '../lib/metrics.js';
import { addThreadCpu, formatThreadCpu, ThreadCpu } from '../lib/thread-cpu.js';
import { sustainedLoad } from './load.js';

/**
 * One phase: `seconds` of sustained ingest (four requests in flight) and, with `probes`,
 * every 250 ms an identify event of a new customer with the probe trait (`probe-<label>-<n>`),
 * each noted when answered 2xx; also the engine's rest and keys waiting, every second. Its rate,
 * the engine's CPU seconds over it (and by thread name: each second's and the phase's), the
 * probes sent and when the load began.
 */
export async function measurePhase(input: {
  engine: EngineProcess;
  bodies: Iterator<{ body: string; events: number }>;
  seconds: number;
  label: string;
  probes: boolean;
  /** Events/s to hold the load to (see sustainedLoad); as fast as it goes when absent. */
  pace?: number;
}) {
  const { engine, label, probes } = input;
  const cpu0 = engine.cpuSeconds() ?? 0;
  const startedAt = performance.now();
  const sent = new Map<string, number>();
  let stopped = false;
  let loaded: Awaited<ReturnType<typeof sustainedLoad>> | undefined;
  // A failed request (say, the engine died) ends the phase with why, after the load.
  const settled = (work: Promise<void>) =>
    work.then(
      () => undefined,
      (error: unknown) => {
        stopped = true;
        return error;
      },
    );
  const prober = settled(
    (async () => {
      for (let n = 0; probes && !stopped; n++) {
        const customerId = `probe-${label}-${n}`;
        const response = await fetch(`${engine.origin}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            events: [
              {
                type: 'identify',
                customerId,
                traits: { probe: 'yes' },
                timestamp: new Date().toISOString(),
              },
            ],
          }),
        });
        await response.arrayBuffer();
        if (response.status === 200) sent.set(customerId, performance.now());
        await sleep(250);
      }
    })(),
  );
  // Every second of the load: where the engine's CPU went (threads over a tenth of a core);
  // with the probes, the rest it came to (its gauge, once set) and the keys waiting for an
  // evaluation.
  const threads = new ThreadCpu(engine.pid);
  const threadSeconds = new Map<string, number>();
  const threadsEverySecond: string[] = [];
  const rests: number[] = [];
  const waiting: number[] = [];
  const sampler = settled(
    (async () => {
      while (!stopped) {
        await sleep(1000);
        const second = threads.sample();
        addThreadCpu(threadSeconds, second);
        threadsEverySecond.push(formatThreadCpu(second, 0.1));
        if (!probes) continue;
        const metrics = await fetchMetrics(engine.origin);
        rests.push(round(metricValue(metrics, 'rapport_segment_stream_rest_ratio'), 2));
        waiting.push(metricValue(metrics, 'rapport_segment_stream_pending_keys'));
      }
    })(),
  );
  const loadError = await settled(
    sustainedLoad({
      origin: engine.origin,
      bodies: input.bodies,
      seconds: input.seconds,
      concurrency: 4,
      ...(input.pace === undefined ? {} : { pace: input.pace }),
    }).then((load) => {
      loaded = load;
    }),
  );
  stopped = true;
  const error = [loadError, await prober, await sampler].find((e) => e !== undefined);
  if (error !== undefined || loaded === undefined) {
    // A dead engine's sockets may close before its exit is told: give the exit a moment.
    await sleep(500);
    throw new Error(engine.died() ?? `the ${label} phase failed`, { cause: error });
  }
  addThreadCpu(threadSeconds, threads.sample());
  return {
    ...loaded,
    cpuSeconds: (engine.cpuSeconds() ?? 0) - cpu0,
    threadCpuSeconds: formatThreadCpu(threadSeconds, 0.5),
    threadsEverySecond,
    sent,
    rests,
    waiting,
    startedAt,
  };
}
