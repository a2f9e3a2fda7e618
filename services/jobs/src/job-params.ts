import { MAX_EVENT_LEAD_MS, MIN_STORED_TIME, isoOf } from '@rapport/schemas';
import { z } from 'zod';

const DAY_MS = 86_400_000;

/**
 * An instant a job computes as of: `2024-12-31` is the end of that day (UTC), a date-time that
 * instant. It must lie where events can: from MIN_STORED_TIME (the lowest floor ingest can be
 * configured to accept, and the store's) to a day after now. An `asOf` of 0000-01-01 or 9999-12-31 used to "succeed" with no one scored.
 * Parsed into epoch milliseconds; a refusal names the parameter (the path of the issue).
 */
export const instantParam = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be a date (YYYY-MM-DD) or an ISO-8601 date-time with offset',
  })
  .transform((value, context) => {
    const ms = /^\d{4}-\d{2}-\d{2}$/.test(value)
      ? Date.parse(value) + DAY_MS - 1
      : Date.parse(value);
    const latest = Date.now() + MAX_EVENT_LEAD_MS;
    if (ms < MIN_STORED_TIME || ms > latest) {
      context.addIssue({
        code: 'custom',
        message:
          `${value} is outside the time events can have: from ${isoOf(MIN_STORED_TIME)} ` +
          `to a day after now (${isoOf(latest)})`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** `asOf` of a job that records it as an ISO instant: now when absent. */
export const asOfParam = instantParam.optional().transform((ms) => isoOf(ms ?? Date.now()));

/**
 * `allowEmpty`: a run that scores no one becomes the latest results only when this is true
 * (default false; the command line's `--param allowEmpty=true` arrives as text).
 */
export const allowEmptyParam = z
  .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
  .default(false);
