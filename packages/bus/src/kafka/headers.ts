import type { IHeaders } from 'kafkajs';
import type { BusMessage, DeadLetter } from '../port.js';

/** Header names Rapport writes. Values are UTF-8 text. */
export const HEADER = {
  eventId: 'rapport-event-id',
  eventType: 'rapport-event-type',
  contentType: 'content-type',
  reason: 'rapport-dlq-reason',
  sourceTopic: 'rapport-dlq-source-topic',
  sourcePartition: 'rapport-dlq-source-partition',
  sourceOffset: 'rapport-dlq-source-offset',
  deadLetteredAt: 'rapport-dlq-at',
} as const;

/** Longest reason kept in a header; the value keeps the whole message anyway. */
const MAX_REASON = 1000;

/** Headers of an event message: what tools need without parsing the value. */
export function eventHeaders(message: BusMessage): IHeaders {
  return {
    [HEADER.eventId]: message.eventId,
    [HEADER.eventType]: message.type,
    [HEADER.contentType]: 'application/json',
  };
}

/** kafkajs headers (Buffers, strings or arrays of them) as text; the last value of a repeated header wins. */
export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) decoded[name] = last.toString();
  }
  return decoded;
}

/**
 * The dead-letter copy of a refused message: the same key and value, its headers, plus why
 * it was refused and where it came from, so it can be inspected and replayed.
 */
export function deadLetterHeaders(letter: DeadLetter, now: Date): IHeaders {
  const reason =
    letter.reason.length > MAX_REASON ? `${letter.reason.slice(0, MAX_REASON)}…` : letter.reason;
  return {
    ...letter.headers,
    [HEADER.reason]: reason,
    [HEADER.sourceTopic]: letter.topic,
    [HEADER.sourcePartition]: String(letter.partition),
    [HEADER.sourceOffset]: letter.offset,
    [HEADER.deadLetteredAt]: now.toISOString(),
  };
}

/** Reads a dead letter back from a message of the dead-letter topic. */
export function readDeadLetter(message: {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}): DeadLetter {
  const headers = decodeHeaders(message.headers);
  const {
    [HEADER.reason]: reason = '',
    [HEADER.sourceTopic]: topic = '',
    [HEADER.sourcePartition]: partition = '-1',
    [HEADER.sourceOffset]: offset = '',
    [HEADER.deadLetteredAt]: _at,
    ...original
  } = headers;
  return {
    reason,
    topic,
    partition: Number(partition),
    offset,
    key: message.key?.toString() ?? null,
    value: message.value ?? Buffer.alloc(0),
    headers: original,
  };
}
