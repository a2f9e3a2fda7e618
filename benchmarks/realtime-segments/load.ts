import { performance } from 'node:perf_hooks';

/**
 * Posts request bodies to /v1/events, `concurrency` at a time, until `seconds` have passed or
 * the bodies run out; answers events/s over the time taken.
 */
export async function sustainedLoad(input: {
  origin: string;
  bodies: Iterator<{ body: string; events: number }>;
  seconds: number;
  concurrency: number;
}): Promise<{ events: number; seconds: number; rate: number; refused: number }> {
  const started = performance.now();
  const deadline = started + input.seconds * 1000;
  let events = 0;
  let refused = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const next = input.bodies.next();
      if (next.done) return;
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
