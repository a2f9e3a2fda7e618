import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

interface Change {
  segmentId: string;
  change: string;
  customerId: string | null;
  /** When the engine's evaluation that made the change began (ISO 8601). */
  at: string;
}

/**
 * A loopback webhook receiver noting when each entry of `segmentId` arrived, by customer
 * (performance.now()), and how long after the evaluation that made it began (wall clock ms).
 */
export async function startReceiver(segmentId: string) {
  const arrivals = new Map<string, number>();
  const sinceEvaluated = new Map<string, number>();
  let changes = 0;
  let unreadable = 0;
  /** Of those, the requests whose message ended before its whole body came (the sender gave up). */
  let cutShort = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A request cut short is the sender's to send again; nothing of it is counted.
    request.on('error', () => undefined);
    request.on('end', () => {
      const at = performance.now();
      const wall = Date.now();
      let body: { changes: Change[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString()) as { changes: Change[] };
      } catch {
        // A body that is not a whole batch: counted, and refused so that it comes again.
        unreadable++;
        if (!request.complete) cutShort++;
        response.writeHead(503).end();
        return;
      }
      changes += body.changes.length;
      for (const change of body.changes) {
        if (change.segmentId === segmentId && change.change === 'entered' && change.customerId) {
          if (!arrivals.has(change.customerId)) {
            arrivals.set(change.customerId, at);
            sinceEvaluated.set(change.customerId, wall - Date.parse(change.at));
          }
        }
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    arrivals,
    sinceEvaluated,
    changes: () => changes,
    /** Requests whose body was not a whole batch (answered 503: sent again). */
    unreadable: () => unreadable,
    cutShort: () => cutShort,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
