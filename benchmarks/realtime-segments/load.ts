import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Posts request bodies to /v1/events, `concurrency` at a time, until `seconds` have passed or
 * the bodies run out; answers events/s over the time taken. With `pace` (events/s), a request
 * starts no sooner than its events' share of the pace allows: the load is then that rate, or
 * less if the engine cannot keep up with it.
 */
export async function sustainedLoad(input: {
  origin: string;
  bodies: Iterator<{ body: string; events: number }>;
  seconds: number;
  concurrency: number;
  pace?: number;
}): Promise<{ events: number; seconds: number; rate: number; refused: number }> {
  const started = performance.now();
  const deadline = started + input.seconds * 1000;
  let events = 0;
  let refused = 0;
  /** The events taken so far: a paced request waits until the pace reaches them. */
  let taken = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const next = input.bodies.next();
      if (next.done) return;
      if (input.pace !== undefined && input.pace > 0) {
        const due = started + (taken / input.pace) * 1000;
        taken += next.value.events;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (performance.now() >= deadline) return;
      }
      const response = await fetch(`${input.origin}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: next.value.body,
      });
      await response.arrayBuffer();
      if (response.status === 200) events += next.value.events;
      else refused++;
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { events, seconds, rate: events / seconds, refused };
}

/** Request bodies of `batch` events each, built as they are taken. */
export function* bodiesOf(
  events: Iterable<unknown>,
  batch: number,
): Generator<{ body: string; events: number }> {
  let chunk: unknown[] = [];
  for (const event of events) {
    chunk.push(event);
    if (chunk.length === batch) {
      yield { body: JSON.stringify({ events: chunk }), events: chunk.length };
      chunk = [];
    }
  }
  if (chunk.length > 0) yield { body: JSON.stringify({ events: chunk }), events: chunk.length };
}
