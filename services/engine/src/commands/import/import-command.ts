import { Readable } from 'node:stream';
import type { ImportSummary } from '@rapport/ingest';
import { keyAdvice } from '../client.js';
import { ORDER_FIELDS, type OrderField } from './csv-orders.js';
import { csvAsNdjson, formatOf, openImportFile, type ImportFileFormat } from './import-source.js';

export interface ImportCommandOptions {
  file: string;
  url: string;
  apiKey?: string;
  format?: ImportFileFormat;
  /** `field=column` pairs for a CSV of orders. */
  map?: string[];
  currency: string;
  /** Where progress and the report go (stderr and stdout by default). */
  progress?: NodeJS.WriteStream;
  out?: NodeJS.WritableStream;
}

export interface ImportReport extends ImportSummary {
  /** Rejections by the line of the file (CSV rows that did not parse included), in order. */
  problems: { line: number; column?: string; eventId?: string; message: string }[];
}

function mappingOf(pairs: readonly string[] = []) {
  const mapping: Partial<Record<OrderField, string>> = {};
  for (const pair of pairs.flatMap((entry) => entry.split(','))) {
    const at = pair.indexOf('=');
    const field = pair.slice(0, at).trim();
    if (at < 1 || !(field in ORDER_FIELDS)) {
      throw new Error(
        `--map ${pair}: expected field=column, the field one of ${Object.keys(ORDER_FIELDS).join(', ')}`,
      );
    }
    mapping[field as OrderField] = pair.slice(at + 1).trim();
  }
  return mapping;
}

const number = (value: number) => value.toLocaleString('en-US');

/** A progress line redrawn on a terminal at most every 250 ms; nothing when not a terminal. */
function progressLine(stream: NodeJS.WriteStream | undefined, file: string) {
  if (!stream?.isTTY) return { update: () => undefined, done: () => undefined };
  const started = Date.now();
  let last = 0;
  return {
    update(read: number, size: number, rows: number, force = false) {
      const now = Date.now();
      if (!force && now - last < 250) return;
      last = now;
      const seconds = Math.max((now - started) / 1000, 0.001);
      const share = size > 0 ? Math.min(100, Math.floor((read / size) * 100)) : 100;
      stream.write(
        `\rimporting ${file}: ${share}% of ${(size / 1048576).toFixed(1)} MiB, ` +
          `${number(rows)} lines, ${number(Math.round(rows / seconds))} lines/s   `,
      );
    },
    done: () => stream.write('\n'),
  };
}

/**
 * `rapport import FILE`: streams the file to a running engine's POST /v1/import: NDJSON as it
 * is (gzip included), a CSV of orders turned into purchase events on the way. Rejected lines
 * and rows are reported by their line in the file once the import ends.
 */
export async function importCommand(options: ImportCommandOptions): Promise<ImportReport> {
  const format = options.format ?? formatOf(options.file);
  const opened = await openImportFile(options.file);
  const csv =
    format === 'csv'
      ? csvAsNdjson(opened.content, { mapping: mappingOf(options.map), currency: options.currency })
      : undefined;
  let lines = 0;
  const progress = progressLine(options.progress ?? process.stderr, options.file);
  async function* body(): AsyncGenerator<Buffer> {
    const source: AsyncIterable<Buffer> = csv ? csv.lines() : opened.content;
    for await (const chunk of source) {
      if (!csv) for (const byte of chunk) if (byte === 0x0a) lines++;
      progress.update(opened.bytesRead(), opened.size, csv ? csv.rows() : lines);
      yield chunk;
    }
    progress.update(opened.bytesRead(), opened.size, csv ? csv.rows() : lines, true);
  }
  const target = new URL('/v1/import', options.url);
  if (format === 'segment') target.searchParams.set('format', 'segment');
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      },
      body: Readable.toWeb(Readable.from(body())) as ReadableStream<Uint8Array>,
      duplex: 'half',
    });
  } catch (error) {
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    if (code === 'ECONNREFUSED') {
      throw new Error(
        `no engine answers at ${options.url}: start one (npx rapport start) or name it with --url`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    progress.done();
  }
  const text = await response.text();
  if (response.status === 401 || response.status === 403) {
    throw new Error(
      `the engine at ${options.url} answered ${response.status}: ${keyAdvice(response.status, options.apiKey !== undefined).replace('with that scope', 'with the admin scope')}`,
    );
  }
  if (!response.ok) {
    const message = (() => {
      try {
        return (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        return text;
      }
    })();
    throw new Error(`the engine at ${options.url} answered ${response.status}: ${message}`);
  }
  const summary = JSON.parse(text) as ImportSummary;
  const problems: ImportReport['problems'] = [
    ...(csv?.problems ?? []),
    ...summary.rejections.map((rejection) => ({
      line: csv ? (csv.sourceLines[rejection.line - 1] ?? rejection.line) : rejection.line,
      ...(rejection.path === '' ? {} : { column: csv?.columnOf[rejection.path] ?? rejection.path }),
      ...(rejection.eventId === undefined ? {} : { eventId: rejection.eventId }),
      message: rejection.message,
    })),
  ].sort((a, b) => a.line - b.line);
  const report: ImportReport = {
    ...summary,
    lines: csv ? csv.rows() : summary.lines,
    rejected: summary.rejected + (csv?.problems.length ?? 0),
    problems,
  };
  printReport(report, options);
  return report;
}

function printReport(report: ImportReport, options: ImportCommandOptions) {
  const out = options.out ?? process.stdout;
  out.write(
    `${options.file}: ${number(report.lines)} ${formatOf(options.file) === 'csv' ? 'rows' : 'lines'}, ` +
      `${number(report.accepted)} stored, ${number(report.duplicates)} already stored, ` +
      `${number(report.rejected)} rejected\n`,
  );
  for (const problem of report.problems) {
    const where = problem.column === undefined ? '' : `, ${problem.column}`;
    out.write(`  line ${problem.line}${where}: ${problem.message}\n`);
  }
  if (report.rejected > report.problems.length) {
    out.write(`  … and ${number(report.rejected - report.problems.length)} more\n`);
  }
}
