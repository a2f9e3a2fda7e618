import { requireDistributed, type Config, type DistributedService } from '@rapport/config';
import type { Logger } from '@rapport/observability';
import { armShutdownDeadline } from '../shutdown.js';
import type { Service } from './service.js';

/**
 * Process concerns of one distributed service: listen, log where, stop on SIGTERM/SIGINT
 * (finish the work in hand, exit 0), and exit 1 on a fatal error so a supervisor restarts it.
 */
export async function runService(options: {
  name: DistributedService;
  config: Config;
  logger: Logger;
  create: (onFatal: (error: Error) => void) => Promise<Service>;
}): Promise<void> {
  const { name, config, logger } = options;
  requireDistributed(config, name);
  const running: { service?: Service } = {};
  let stopping = false;
  const stop = (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    // Before any log line: a log reader that stopped reading must not hold the exit.
    armShutdownDeadline(config.shutdownGraceMs, () =>
      logger.error(
        { service: name },
        `rapport ${name} did not stop within ${config.shutdownGraceMs} ms (RAPPORT_SHUTDOWN_GRACE_MS)`,
      ),
    );
    logger.info({ service: name, why }, `rapport ${name} is stopping`);
    (running.service?.close() ?? Promise.resolve()).then(
      () => process.exit(code),
      (error: unknown) => {
        logger.error({ err: error, service: name }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const service = await options.create((error) => {
    logger.fatal({ err: error, service: name }, `rapport ${name} cannot go on; exiting`);
    stop(1, 'fatal error');
  });
  running.service = service;
  // Before listening: a signal sent as soon as the service says it listens finds the handler.
  process.once('SIGTERM', () => stop(0, 'SIGTERM'));
  process.once('SIGINT', () => stop(0, 'SIGINT'));
  const address = await service.app.listen({ host: config.http.host, port: config.http.port });
  logger.info(
    { address, service: name, brokers: config.kafka?.brokers },
    `rapport ${name} is listening on ${address}`,
  );
}
