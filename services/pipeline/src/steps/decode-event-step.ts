import { toBusMessage, type BusMessage, type Delivered } from '@rapport/bus';
import { storedEventSchema } from '@rapport/schemas';

export type DecodeResult = { ok: true; value: BusMessage } | { ok: false; reason: string };

/**
 * Turns a delivered message into the event to store, or says why it cannot be stored (it
 * then goes to the dead-letter queue). A message a producer in this process validated is
 * taken as it is; one from the wire is parsed, validated against the stored-event contract
 * and written back without the fields the table does not have.
 */
export function createDecodeEventStep() {
  return function decodeEventStep(delivered: Delivered): DecodeResult {
    if (delivered.published) return { ok: true, value: delivered.published };
    if (delivered.value.length === 0) return { ok: false, reason: 'the message has no value' };
    let json: unknown;
    try {
      json = JSON.parse(delivered.value.toString('utf8'));
    } catch (error) {
      return { ok: false, reason: `the value is not JSON: ${(error as Error).message}` };
    }
    const parsed = storedEventSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.join('.') ?? '';
      return {
        ok: false,
        reason: `the value is not a stored event: ${path === '' ? '' : `${path}: `}${issue?.message ?? 'invalid'}`,
      };
    }
    // The schema holds every column to the range the store can take (as ingest does), so a
    // value that would fail the insert of the whole batch is dead-lettered here, alone.
    return { ok: true, value: toBusMessage(parsed.data) };
  };
}
