/** Durations in milliseconds, and the timestamp format of generated events. */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** The mean Julian year: rates "per year" are converted with it. */
export const YEAR = 365.25 * DAY;

const twoDigits = (value: number) => (value < 10 ? `0${value}` : `${value}`);

// Formatting dates is the generator's hottest spot; events come in runs of the same day.
let cachedDay = Number.NaN;
let cachedDate = '';

/** ISO-8601 in UTC to the second, e.g. 2024-05-01T12:00:00Z. */
export function isoSeconds(ms: number): string {
  const seconds = Math.floor(ms / SECOND);
  const day = Math.floor(seconds / 86_400);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDate = new Date(day * DAY).toISOString().slice(0, 11);
  }
  const time = seconds - day * 86_400;
  const hours = Math.floor(time / 3600);
  const minutes = Math.floor((time % 3600) / 60);
  return `${cachedDate}${twoDigits(hours)}:${twoDigits(minutes)}:${twoDigits(time % 60)}Z`;
}

/** Epoch milliseconds of a Date, an ISO string or a number; throws on anything unparseable. */
export function toEpochMs(value: Date | string | number, name: string): number {
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`${name} is not a valid date: ${String(value)}`);
  return ms;
}
