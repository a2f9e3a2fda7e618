import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

interface Change {
  segmentId: string;
  change: string;
  customerId: string | null;
}

/** A loopback webhook receiver noting when each entry of `segmentId` arrived, by customer. */
export async function startReceiver(segmentId: string) {
  const arrivals = new Map<string, number>();
  let changes = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { changes: Change[] };
      changes += body.changes.length;
      for (const change of body.changes) {
        if (change.segmentId === segmentId && change.change === 'entered' && change.customerId) {
          if (!arrivals.has(change.customerId)) arrivals.set(change.customerId, at);
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
    changes: () => changes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
