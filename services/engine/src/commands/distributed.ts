import { ConfigError, type Config } from '@rapport/config';
import type { Logger } from '@rapport/observability';
import type { Command } from 'commander';
import {
  createApiService,
  createIngestService,
  createJobsService,
  createPipelineService,
  runService,
} from '../distributed/index.js';

type Configure = () => { config: Config; logger: Logger };
type ServiceName = 'ingest' | 'pipeline' | 'api' | 'jobs';

/** The action that runs one service as its own process. */
export function serviceAction(name: ServiceName, configure: Configure): () => Promise<void> {
  return async () => {
    const { config, logger } = configure();
    try {
      await runService({
        name,
        config,
        logger,
        create: (onFatal) => {
          if (name === 'ingest') return createIngestService({ config, logger });
          if (name === 'pipeline') return createPipelineService({ config, logger, onFatal });
          if (name === 'jobs') return createJobsService({ config, logger });
          return createApiService({ config, logger });
        },
      });
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`rapport: ${error.message}\n`);
        process.exit(2);
      }
      throw error;
    }
  };
}

/**
 * `rapport ingest | pipeline | api`: the services of distributed mode, each its own process
 * (KAFKA_BROKERS and CLICKHOUSE_URL required), scaled apart from the others.
 */
export function registerDistributedCommands(program: Command, configure: Configure): void {
  const run = (name: ServiceName) => serviceAction(name, configure);

  program
    .command('ingest')
    .description('distributed: the HTTP collector alone, publishing to Kafka')
    .action(run('ingest'));
  program
    .command('pipeline')
    .description(
      'distributed: consume Kafka into ClickHouse exactly once (/healthz, /readyz, /metrics on RAPPORT_PORT)',
    )
    .action(run('pipeline'));
  program
    .command('api')
    .description('distributed: the query API on the ClickHouse server')
    .action(run('api'));
}
