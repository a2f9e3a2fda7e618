/** Why a store call failed, and whether trying again can help. */
export type StoreErrorCode = 'unavailable' | 'timeout' | 'overloaded' | 'rejected' | 'closed';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Retriable errors leave nothing half-done: the same call may be made again. */
  get retriable(): boolean {
    return this.code === 'unavailable' || this.code === 'timeout' || this.code === 'overloaded';
  }
}

// ClickHouse error codes that say "not now" rather than "not this".
const TRANSIENT_CODES = new Map<string, StoreErrorCode>([
  ['159', 'timeout'], // TIMEOUT_EXCEEDED
  ['209', 'timeout'], // SOCKET_TIMEOUT
  ['210', 'unavailable'], // NETWORK_ERROR
  ['202', 'overloaded'], // TOO_MANY_SIMULTANEOUS_QUERIES
  ['241', 'overloaded'], // MEMORY_LIMIT_EXCEEDED
  ['242', 'unavailable'], // TABLE_IS_READ_ONLY
  ['252', 'overloaded'], // TOO_MANY_PARTS
  ['319', 'unavailable'], // UNKNOWN_STATUS_OF_INSERT
  ['999', 'unavailable'], // KEEPER_EXCEPTION
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** Turns whatever the client threw into a StoreError, keeping the original as `cause`. */
export function toStoreError(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const brief = message.length > 500 ? `${message.slice(0, 500)}…` : message;
  const transient = typeof code === 'string' ? TRANSIENT_CODES.get(code) : undefined;
  if (transient) return new StoreError(transient, `${what}: ${brief}`, { cause: error });
  if (
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    /socket hang up|Timeout error|ECONNREFUSED/i.test(message)
  ) {
    return new StoreError('unavailable', `${what}: ${brief}`, { cause: error });
  }
  return new StoreError('rejected', `${what}: ${brief}`, { cause: error });
}
