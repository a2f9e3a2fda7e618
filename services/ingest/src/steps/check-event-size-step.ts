import { ok, reject, type StepResult } from './step-result.js';

/** Rejects an event whose JSON is larger than the per-event limit. */
export function createCheckEventSizeStep(maxEventBytes: number) {
  return function checkEventSizeStep(raw: unknown): StepResult<unknown> {
    const size = Buffer.byteLength(JSON.stringify(raw) ?? '');
    if (size <= maxEventBytes) return ok(raw);
    return reject('too_large', {
      path: '',
      message: `the event is ${size} bytes; the limit is ${maxEventBytes} bytes per event`,
    });
  };
}
