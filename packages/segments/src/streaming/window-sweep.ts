import type { SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { assertNever } from '../assert-never.js';
import { evaluationOrder, readEvaluableDefinitions } from '../store/evaluation-order.js';
import type { StreamingLogger } from './streaming-segments.js';

const DAY_MS = 86_400_000;

/**
 * The window lengths (ms) a rule's verdict moves with as time passes: `within.lastDays` of an
 * event condition, `inLastDays` / `notInLastDays` of a time field, and the lapse threshold
 * when it tests the lifecycle stage. Every such edge falls at an event's time plus one of them.
 */
export function windowLengths(rule: SegmentRule, lapsedMs: number): number[] {
  switch (rule.type) {
    case 'and':
    case 'or':
      return rule.rules.flatMap((child) => windowLengths(child, lapsedMs));
    case 'not':
      return windowLengths(rule.rule, lapsedMs);
    case 'event':
      return rule.within && 'lastDays' in rule.within ? [rule.within.lastDays * DAY_MS] : [];
    case 'field':
      if (rule.field === 'lifecycle') return [lapsedMs];
      return (rule.op === 'inLastDays' || rule.op === 'notInLastDays') &&
        typeof rule.value === 'number'
        ? [rule.value * DAY_MS]
        : [];
    case 'segment':
      return [];
    default:
      return assertNever(rule);
  }
}

/** A second of overlap between sweeps: an edge on a sweep's boundary is not missed. */
const OVERLAP_MS = 1000;

/**
 * Time passing without events: every `everyMs` (at most 60 s) finds the profiles with an
 * event whose window edge fell since the last sweep — an event time plus a window length of
 * some rule, in [last sweep − length − 1 s, now − length) — and hands their keys to streaming
 * evaluation, which enters or exits them as the rules say now. Only those profiles are read.
 * The first sweep looks back `lookBackMs` (edges passed while the process was down; older ones
 * are the reconciler's).
 */
export class WindowSweep {
  private last: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private closed = false;

  constructor(
    private readonly options: {
      store: Store;
      /** Where the keys go (StreamingSegments.touched). */
      touched: (customerKeys: Iterable<string>) => void;
      lapsedMs: number;
      logger: StreamingLogger;
      clock?: () => number;
      /** Default 30,000; at most 60,000. */
      everyMs?: number;
      /** Default one hour. */
      lookBackMs?: number;
    },
  ) {
    this.last = this.now() - (options.lookBackMs ?? 3_600_000);
  }

  start(): void {
    const every = Math.min(this.options.everyMs ?? 30_000, 60_000);
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.sweep()
          .catch((error: unknown) => {
            this.options.logger.warn({ err: error }, 'window sweep failed; retrying');
          })
          .finally(() => {
            if (!this.closed) tick();
          });
      }, every);
      this.timer.unref();
    };
    tick();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One sweep; resolves with how many customer keys it handed over. */
  sweep(): Promise<number> {
    this.running ??= this.sweepOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  private async sweepOnce(): Promise<number> {
    const { store } = this.options;
    const now = this.now();
    const { ordered } = evaluationOrder(await readEvaluableDefinitions(store));
    const lengths = [
      ...new Set(
        ordered.flatMap((d) =>
          d.rule === null ? [] : windowLengths(d.rule, this.options.lapsedMs),
        ),
      ),
    ];
    let handed = 0;
    if (lengths.length > 0) {
      const ranges = lengths.map(
        (_, i) =>
          `(timestamp >= fromUnixTimestamp64Milli({from${i}:Int64}, 'UTC') AND timestamp < fromUnixTimestamp64Milli({to${i}:Int64}, 'UTC'))`,
      );
      const params: Record<string, number> = {};
      lengths.forEach((length, i) => {
        params[`from${i}`] = this.last - length - OVERLAP_MS;
        params[`to${i}`] = now - length;
      });
      const rows = await store.query<{ customer_key: string }>(
        `SELECT DISTINCT customer_key FROM events WHERE ${ranges.join(' OR ')}`,
        params,
      );
      handed = rows.length;
      if (handed > 0) this.options.touched(rows.map((row) => row.customer_key));
    }
    this.last = now;
    return handed;
  }
}
