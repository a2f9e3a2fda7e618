import { BusUnavailableError } from '../port.js';

/** A publish the brokers refuse for its size: sending it again cannot help. */
export class BusMessageTooLargeError extends Error {
  override readonly name = 'BusMessageTooLargeError';
  /** HTTP callers answer 413. */
  readonly statusCode = 413;
}

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** What a failed produce means to the publisher: too large, or "not now" (503, retry). */
export function publishError(error: unknown, topic: string): Error {
  const type = (error as { type?: unknown } | null)?.type;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof type === 'string' && TOO_LARGE.has(type)) {
    return new BusMessageTooLargeError(
      `Kafka refused the events as too large for topic ${topic}: ${message}`,
    );
  }
  return new BusUnavailableError(`Kafka cannot take events now: ${message}`, 2, { cause: error });
}
