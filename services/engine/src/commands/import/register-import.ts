import type { Command } from 'commander';
import { importCommand } from './import-command.js';

const FORMATS = ['rapport', 'segment', 'csv'] as const;

/** `rapport import FILE`: history into a running engine. */
export function registerImportCommand(program: Command, engine: (url?: string) => string) {
  program
    .command('import <file>')
    .description(
      'import history into a running engine: NDJSON events (Rapport or Segment format) or a CSV of orders, gzip or not',
    )
    .option(
      '--format <format>',
      `${FORMATS.join(', ')} (default: csv for *.csv[.gz], else rapport)`,
    )
    .option(
      '--map <field=column...>',
      'CSV: the column of a field (orderId, customerId, timestamp, revenue, currency)',
    )
    .option('--currency <code>', 'CSV: currency of rows without one', 'USD')
    .option('--url <url>', 'the engine (default: env RAPPORT_URL, else the local engine)')
    .option('--api-key <key>', 'API key with the admin scope (env RAPPORT_API_KEY)')
    .action(
      async (
        file: string,
        options: {
          format?: string;
          map?: string[];
          currency: string;
          url?: string;
          apiKey?: string;
        },
      ) => {
        if (
          options.format !== undefined &&
          !(FORMATS as readonly string[]).includes(options.format)
        ) {
          throw new Error(`--format ${options.format}: expected ${FORMATS.join(', ')}`);
        }
        const apiKey = options.apiKey ?? (process.env.RAPPORT_API_KEY || undefined);
        const report = await importCommand({
          file,
          url: engine(options.url),
          currency: options.currency,
          ...(options.format === undefined
            ? {}
            : { format: options.format as (typeof FORMATS)[number] }),
          ...(options.map === undefined ? {} : { map: options.map }),
          ...(apiKey === undefined ? {} : { apiKey }),
        });
        process.exitCode = report.rejected > 0 ? 1 : 0;
      },
    );
}
