/** The ClickHouse types rule values are bound as. */
export type ParamType =
  'String' | 'Float64' | 'Int64' | 'UInt64' | 'Bool' | 'Array(String)' | 'Array(Float64)';

/** The evaluation time, bound once for the whole rule (Int64 epoch ms). */
export const NOW_PARAM = '{rule_now:Int64}';

/**
 * Hands out placeholders (`{rule_p0:String}`, `{rule_p1:Float64}`, …) and collects their
 * values, so a value reaches the engine only as a query parameter, never as SQL text.
 */
export class SqlParams {
  private next = 0;
  private readonly bound: Record<string, unknown>;

  /**
   * @param scoped the rule is compiled for the profiles `{scope_keys:Array(String)}` names
   *   only: its reads of events and memberships are restricted to them (streaming evaluation).
   */
  constructor(
    now: number,
    readonly scoped = false,
    /** Put in every placeholder's name, so that several rules can share one query. */
    private readonly prefix = '',
  ) {
    this.bound = { rule_now: now };
  }

  bind(type: ParamType, value: unknown): string {
    const name = `rule_${this.prefix}p${this.next++}`;
    this.bound[name] = value;
    return `{${name}:${type}}`;
  }

  get values(): Record<string, unknown> {
    return { ...this.bound };
  }
}
