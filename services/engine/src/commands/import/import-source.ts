import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ordersFromCsv, type CsvOrderOptions } from './csv-orders.js';

export type ImportFileFormat = 'rapport' | 'segment' | 'csv';

/** A file to import: its bytes as read (for progress) and its content, gunzipped if need be. */
export interface OpenedFile {
  size: number;
  /** Bytes read from the file so far (compressed bytes for a .gz). */
  bytesRead: () => number;
  gzip: boolean;
  content: Readable;
}

export async function openImportFile(path: string): Promise<OpenedFile> {
  const { size } = await stat(path);
  const handle = await open(path);
  const magic = Buffer.alloc(2);
  await handle.read(magic, 0, 2, 0);
  await handle.close();
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  let read = 0;
  const counted = new PassThrough({ highWaterMark: 256 * 1024 });
  file.on('data', (chunk: Buffer | string) => {
    read += chunk.length;
  });
  file.on('error', (error) => counted.destroy(error));
  file.pipe(counted);
  return {
    size,
    bytesRead: () => read,
    gzip,
    content: gzip ? counted.pipe(createGunzip()) : counted,
  };
}

/** The format a file name implies: .csv is orders, anything else NDJSON in Rapport's format. */
export function formatOf(path: string): ImportFileFormat {
  return /\.csv(\.gz)?$/i.test(path) ? 'csv' : 'rapport';
}

/** Where a line of the NDJSON sent came from in the file, and what a CSV row could not be. */
export interface CsvProblem {
  line: number;
  column: string;
  message: string;
}

/**
 * NDJSON lines for the engine from a CSV of orders; `sourceLines[k]` is the CSV line of
 * NDJSON line k + 1, and rows that could not be read land in `problems` instead.
 */
export function csvAsNdjson(content: Readable, options: CsvOrderOptions) {
  const sourceLines: number[] = [];
  // An event field the engine rejects, named by the CSV column it came from.
  const columnOf: Record<string, string> = {};
  const problems: CsvProblem[] = [];
  let rows = 0;
  async function* lines(): AsyncGenerator<Buffer> {
    let chunk: string[] = [];
    const onColumns = (columns: Partial<Record<string, string>>) => {
      const fields = {
        customerId: 'customerId',
        timestamp: 'timestamp',
        revenue: 'properties.revenue',
        orderId: 'properties.orderId',
        currency: 'properties.currency',
      };
      for (const [field, path] of Object.entries(fields)) {
        const column = columns[field];
        if (column !== undefined) columnOf[path] = column;
      }
    };
    for await (const row of ordersFromCsv(content, { ...options, onColumns })) {
      rows++;
      if ('event' in row) {
        sourceLines.push(row.line);
        chunk.push(JSON.stringify(row.event));
        if (chunk.length >= 1000) {
          yield Buffer.from(`${chunk.join('\n')}\n`);
          chunk = [];
        }
      } else {
        problems.push(row);
      }
    }
    if (chunk.length > 0) yield Buffer.from(`${chunk.join('\n')}\n`);
  }
  return { lines, sourceLines, problems, rows: () => rows, columnOf };
}
