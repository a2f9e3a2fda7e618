import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import PinoPretty from 'pino-pretty';

export type { Logger };

/** JSON logs on stdout (or `destination`); secrets in headers never reach them. */
export function createLogger(options: {
  level: string;
  name?: string;
  destination?: DestinationStream;
}): Logger {
  const settings: LoggerOptions = {
    level: options.level,
    name: options.name ?? 'rapport',
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]'],
      censor: '[redacted]',
    },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

export interface LogDestinationOptions {
  /** How long one write may wait for a reader that does not read (default 1 s). */
  maxStallMs?: number;
  /** Log bytes kept while the reader does not read; later lines are dropped (default 8 MiB). */
  maxBufferBytes?: number;
}

/**
 * stdout for the logs, written synchronously as pino's own destination is, except that a
 * reader which stops reading cannot hold the process. pino's destination waits for a full
 * pipe forever (in Atomics.wait, so no timer or signal handler can run). This one waits up to
 * `maxStallMs`; then it keeps what it could not write, up to `maxBufferBytes`, tries again on
 * each new line without waiting, and drops lines past the buffer until the reader reads again.
 */
export function stdoutLogDestination(options: LogDestinationOptions = {}): DestinationStream {
  const maxStallMs = options.maxStallMs ?? 1000;
  let stalledSince: number | undefined;
  const destination = pino.destination({
    dest: 1,
    sync: true,
    maxLength: options.maxBufferBytes ?? 8 * 1024 * 1024,
    retryEAGAIN: () => {
      const now = Date.now();
      stalledSince ??= now;
      return now - stalledSince < maxStallMs;
    },
  });
  destination.on('write', (bytes: number) => {
    if (bytes > 0) stalledSince = undefined;
  });
  // A write that gave up: the line stays in the buffer for the next attempt. A reader that
  // went away (EPIPE) leaves nothing to do either; the lines are dropped once the buffer is full.
  destination.on('error', () => undefined);
  return destination;
}

/** How log lines look: JSON lines, readable lines, or readable only on a terminal. */
export type LogFormat = 'json' | 'pretty' | 'auto';

/**
 * The destination for `format`: pino-pretty's readable, coloured lines for a person at a
 * terminal (`pretty`, or `auto` when stdout is a TTY), else JSON lines; both through
 * stdoutLogDestination, so a stalled reader cannot hold the process either way.
 */
export function logDestination(
  format: LogFormat,
  options: LogDestinationOptions & { isTTY?: boolean } = {},
): DestinationStream {
  const stdout = stdoutLogDestination(options);
  const pretty =
    format === 'pretty' || (format === 'auto' && (options.isTTY ?? process.stdout.isTTY));
  if (!pretty) return stdout;
  return PinoPretty({
    destination: stdout,
    sync: true,
    colorize: options.isTTY ?? process.stdout.isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}
