import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { findKafka } from '../contract/kafka-target.js';
import { KafkaPublisher } from './publisher.js';

/**
 * A proxy in front of the broker that, while `losing` is on, lets every produce request reach
 * the broker — which writes it — and closes the connection instead of passing the answer on:
 * the client cannot tell a write the broker took from one it never got.
 */
class LosingProxy {
  losing = false;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.relay(client));
  }

  listen(): Promise<number> {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket) {
    const broker = connect(this.target);
    this.sockets.add(client).add(broker);
    const lost = new Set<number>();
    const drop = () => {
      client.destroy();
      broker.destroy();
      this.sockets.delete(client);
      this.sockets.delete(broker);
    };
    client.on('error', drop).on('close', drop);
    broker.on('error', drop).on('close', drop);
    // Requests: size, api key, api version, correlation id. Produce is api key 0.
    frames(client, (frame) => {
      if (this.losing && frame.readInt16BE(4) === 0) lost.add(frame.readInt32BE(8));
      broker.write(frame);
    });
    // Answers: size, correlation id.
    frames(broker, (frame) => {
      if (lost.has(frame.readInt32BE(4))) drop();
      else client.write(frame);
    });
  }
}

/** Calls `onFrame` with each whole size-prefixed frame read from the socket. */
function frames(socket: Socket, onFrame: (frame: Buffer) => void) {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = 4 + pending.readInt32BE(0);
      onFrame(pending.subarray(0, size));
      pending = pending.subarray(size);
    }
  });
}

const kafka = await findKafka();
if (kafka.skip) console.info(`Kafka publisher lost-answer test skipped: ${kafka.skip}`);
afterAll(() => kafka.stop());

describe.skipIf(kafka.skip !== undefined)('a produce the broker wrote but did not answer', () => {
  it('does not cost the next publish its events', async () => {
    const [first] = await kafka.brokers();
    const [host, port] = first!.split(':');
    const proxy = new LosingProxy({ host: host!, port: Number(port) });
    const proxyPort = await proxy.listen();
    // Every connection the client makes, to whichever broker the metadata names, goes
    // through the proxy (a single-node cluster: there is one broker behind it).
    const client = new Kafka({
      brokers: [first!],
      logLevel: logLevel.NOTHING,
      socketFactory: ({ onConnect }) => connect({ host: '127.0.0.1', port: proxyPort }, onConnect),
    });
    const direct = new Kafka({ brokers: [first!], logLevel: logLevel.NOTHING });
    const topic = `lost-answer-${randomUUID().slice(0, 8)}`;
    const admin = direct.admin();
    await admin.connect();
    const publisher = new KafkaPublisher(client, { timeoutMs: 15_000, maxProduceBytes: 1 << 20 });
    const consumer = direct.consumer({ groupId: `${topic}-reader` });
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const batch = (name: string): Message[] =>
        Array.from({ length: 20 }, (_, n) => ({ key: `${name}-${n}`, value: `${name}-${n}` }));

      proxy.losing = true;
      await expect(publisher.send(topic, batch('a'))).rejects.toThrow();
      proxy.losing = false;
      // A publish of as many messages as the one whose answer was lost, answered this time.
      await publisher.send(topic, batch('b'));

      const [offsets] = await admin.fetchTopicOffsets(topic);
      const seen = new Set<string>();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.add(String(message.value));
        },
      });
      const deadline = performance.now() + 20_000;
      while (seen.size < Number(offsets!.high) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(seen.size).toBe(Number(offsets!.high));
      // The broker did write the batch whose answer it lost (so the case is the one meant)...
      expect(seen.has('a-0')).toBe(true);
      // ...and every acknowledged message is in the log.
      expect([...seen].filter((value) => value.startsWith('b-')).sort()).toEqual(
        batch('b')
          .map((message) => String(message.value))
          .sort(),
      );
    } finally {
      await consumer.disconnect();
      await admin.disconnect();
      await publisher.disconnect();
      await proxy.close();
    }
  }, 60_000);
});
