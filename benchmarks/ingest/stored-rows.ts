import { createNormalizeEventStep } from '../../services/ingest/src/steps/normalize-event-step.js';
import { createValidateEventStep } from '../../services/ingest/src/steps/validate-event-step.js';

/**
 * The rows the pipeline would insert for `events`: each one validated and normalised by the
 * ingest steps, as one JSON line (the bus message value). Throws if any event is refused.
 */
export function toStoredJsonLines(
  events: readonly Record<string, unknown>[],
  receivedAt: number,
): string[] {
  const validate = createValidateEventStep();
  const normalize = createNormalizeEventStep({
    reportingCurrency: 'USD',
    currencyRates: { USD: 1 },
  });
  return events.map((raw, index) => {
    const valid = validate(raw);
    const stored = valid.ok ? normalize(valid.value, receivedAt) : valid;
    if (!stored.ok) {
      throw new Error(`event ${index} is refused: ${JSON.stringify(stored.errors)}`);
    }
    return JSON.stringify(stored.value);
  });
}

/** Newline-joined JSON lines, `rowsPerBuffer` rows per buffer. */
export function toInsertBuffers(lines: readonly string[], rowsPerBuffer: number): Buffer[] {
  const buffers: Buffer[] = [];
  for (let offset = 0; offset < lines.length; offset += rowsPerBuffer) {
    buffers.push(Buffer.from(lines.slice(offset, offset + rowsPerBuffer).join('\n')));
  }
  return buffers;
}
