/** A pipeline step's answer: the value to pass on, or why the event is rejected. */
export type StepResult<T> =
  { ok: true; value: T } | { ok: false; reason: RejectReason; errors: FieldError[] };

export type RejectReason =
  | 'too_large'
  | 'too_deep'
  | 'invalid'
  | 'no_exchange_rate'
  | 'timestamp_out_of_range'
  | 'out_of_range'
  | 'store_rejected';

export interface FieldError {
  path: string;
  message: string;
}

export const ok = <T>(value: T): StepResult<T> => ({ ok: true, value });

export const reject = <T>(reason: RejectReason, ...errors: FieldError[]): StepResult<T> => ({
  ok: false,
  reason,
  errors,
});
