import { createIngestCandidates, type IngestCandidate, type IngestDeps } from '../ingest-events.js';
import { mapSegmentMessage } from '../segment/map-segment-message.js';
import { ok, reject } from '../steps/step-result.js';
import { readLines, type Line } from './read-lines.js';

export type ImportFormat = 'rapport' | 'segment';

/**
 * Events handed on at once, and batches in flight: several batches waiting together let the
 * store's batch writer join them into large inserts, as concurrent HTTP requests do.
 */
export const IMPORT_BATCH_EVENTS = 1000;
export const IMPORT_BATCHES_IN_FLIGHT = 8;
/** Rejections listed in full; past this only the count grows. */
export const MAX_LISTED_REJECTIONS = 1000;

export interface ImportRejection {
  /** Line of the NDJSON body, from 1. */
  line: number;
  eventId?: string;
  path: string;
  message: string;
}

export interface ImportSummary {
  lines: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** The first MAX_LISTED_REJECTIONS rejections, in line order. */
  rejections: ImportRejection[];
}

function candidateOf(
  line: Line,
  options: { format: ImportFormat; receivedAt: number; reportingCurrency: string },
): IngestCandidate {
  if ('tooLong' in line) {
    return {
      event: reject('too_large', {
        path: '',
        message: `the line is ${line.tooLong} bytes; one event may have RAPPORT_MAX_EVENT_BYTES`,
      }),
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.text);
  } catch (error) {
    return {
      event: reject('invalid', { path: '', message: `not JSON: ${(error as Error).message}` }),
    };
  }
  const id = (parsed as { eventId?: unknown; messageId?: unknown } | null) ?? {};
  const named = options.format === 'segment' ? id.messageId : id.eventId;
  const known = typeof named === 'string' ? { id: named } : {};
  if (options.format === 'rapport') return { event: ok(parsed), ...known };
  const mapped = mapSegmentMessage(parsed, options);
  return mapped.ok
    ? { event: ok(mapped.value.event), fieldOf: mapped.value.fieldOf, ...known }
    : { event: mapped, ...known };
}

/**
 * Imports NDJSON, one event (or Segment message) a line, through the same steps as every
 * collector, in batches of IMPORT_BATCH_EVENTS with IMPORT_BATCHES_IN_FLIGHT on their way at
 * most, so memory stays flat whatever the size. An event already stored (same eventId,
 * or same content without one) counts as a duplicate: running an import again resumes it.
 */
export function createNdjsonImport(deps: IngestDeps) {
  const ingest = createIngestCandidates(deps);
  const now = deps.now ?? Date.now;
  return async function importNdjson(
    input: AsyncIterable<Buffer | string>,
    options: { format: ImportFormat; onBatch?: (summary: ImportSummary) => void },
  ): Promise<ImportSummary> {
    const summary: ImportSummary = {
      lines: 0,
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      rejections: [],
    };
    let batch: IngestCandidate[] = [];
    let lineNumbers: number[] = [];
    const inFlight = new Set<Promise<void>>();
    const store = async (candidates: IngestCandidate[], lines: number[]) => {
      const outcome = await ingest(candidates, now());
      summary.accepted += outcome.body.accepted;
      summary.duplicates += outcome.body.duplicates;
      summary.rejected += outcome.body.rejected.length;
      for (const rejected of outcome.body.rejected) {
        if (summary.rejections.length >= MAX_LISTED_REJECTIONS) break;
        summary.rejections.push({
          line: lines[rejected.index]!,
          ...(rejected.eventId === undefined ? {} : { eventId: rejected.eventId }),
          path: rejected.path,
          message: rejected.message,
        });
      }
      options.onBatch?.(summary);
    };
    // The first failure (the store unavailable, say) ends the import once its batches settle.
    let failure: { error: unknown } | undefined;
    const flush = async () => {
      if (failure) throw failure.error;
      if (batch.length === 0) return;
      const stored = store(batch, lineNumbers)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(stored));
      inFlight.add(stored);
      batch = [];
      lineNumbers = [];
      // Reading waits while enough batches are on their way: memory stays flat.
      if (inFlight.size >= IMPORT_BATCHES_IN_FLIGHT) await Promise.race(inFlight);
    };
    const receivedAt = now();
    const settings = {
      format: options.format,
      receivedAt,
      reportingCurrency: deps.limits.reportingCurrency,
    };
    for await (const line of readLines(input, deps.limits.maxEventBytes)) {
      summary.lines = line.number;
      batch.push(candidateOf(line, settings));
      lineNumbers.push(line.number);
      if (batch.length >= IMPORT_BATCH_EVENTS) await flush();
    }
    await flush();
    await Promise.all(inFlight);
    if (failure) throw failure.error;
    summary.rejections.sort((a, b) => a.line - b.line);
    return summary;
  };
}
