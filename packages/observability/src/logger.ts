import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** JSON logs on stdout; secrets in headers never reach them. */
export function createLogger(options: { level: string; name?: string }): Logger {
  const settings: LoggerOptions = {
    level: options.level,
    name: options.name ?? 'rapport',
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]'],
      censor: '[redacted]',
    },
  };
  return pino(settings);
}
