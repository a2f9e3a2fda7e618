import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SegmentChange } from '@rapport/schemas';

/** One request as a test receiver saw it. */
export interface ReceivedRequest {
  /** performance.now() when the request had arrived whole. */
  at: number;
  method: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as a receiver must verify it. */
  body: string;
  payload: { deliveryId: string; changes: SegmentChange[] };
}

/** How the receiver answers: a status (with headers), cut the connection, or never answer. */
export type Reply =
  { status: number; headers?: Record<string, string>; body?: string } | 'drop' | 'hang';

/**
 * A webhook receiver on a free loopback port for tests. `reply` decides each answer from the
 * request and its number (from 0); it may wait before deciding.
 */
export async function startReceiver(
  reply: (request: ReceivedRequest, index: number) => Reply | Promise<Reply>,
): Promise<{
  url: string;
  received: ReceivedRequest[];
  /** Most requests in progress at once so far. */
  maxConcurrent: () => number;
  close: () => Promise<void>;
}> {
  const received: ReceivedRequest[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const answer = (response: ServerResponse, decided: Reply) => {
    if (decided === 'hang') return;
    if (decided === 'drop') {
      response.socket?.destroy();
      return;
    }
    response.writeHead(decided.status, decided.headers).end(decided.body ?? '');
  };
  const server = createServer((request, response) => {
    concurrent += 1;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    const done = () => {
      concurrent -= 1;
    };
    response.on('close', done);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry: ReceivedRequest = {
        at: performance.now(),
        method: request.method ?? '',
        headers: request.headers,
        body,
        payload: JSON.parse(body) as ReceivedRequest['payload'],
      };
      received.push(entry);
      void Promise.resolve(reply(entry, received.length - 1)).then((decided) =>
        answer(response, decided),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/rapport`,
    received,
    maxConcurrent: () => maxConcurrent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
