import { anonymousIdSql, ownersSql, profileKeySql, SCOPE } from '@rapport/profiles';

/** An event condition's share of the one read: its type and what else an event must meet. */
export interface CountedCondition {
  /** The bound event type (`{rule_p0:String}`). */
  type: string;
  /** The window and filters, each a predicate over an `events` row; none for every event. */
  conditions: readonly string[];
}

/**
 * The event conditions of every rule of one streaming statement, counted in one read of the
 * scope's events: each condition is a column (`rapport_n0`, …) holding how many of the
 * profile's events match it, so the statement reads `events` and the anonymous ids' owners
 * once, not once per condition (per condition, the engine's analysis of those subqueries was
 * most of the statement's cost whatever the number of profiles). The counts are those
 * `compileEvent` compares without it: events counted per customer key, an anonymous key owned
 * by a customer counted for that customer.
 */
export class EventCounts {
  private readonly counted: CountedCondition[] = [];

  /** The column counting a condition's events, per profile (0 for a profile with none). */
  column(condition: CountedCondition): string {
    this.counted.push(condition);
    return `rapport_n${this.counted.length - 1}`;
  }

  get size(): number {
    return this.counted.length;
  }

  /**
   * SQL of the counts (`rapport_key`: the profile key, `rapport_n0`, …) of the profiles in scope that have an
   * event of a counted type; undefined when no condition was counted. Bind scopeParams.
   */
  sql(): string | undefined {
    if (this.counted.length === 0) return undefined;
    const types = [...new Set(this.counted.map((condition) => condition.type))];
    const perKey = this.counted.map(({ type, conditions }, i) => {
      const all = [`type = ${type}`, ...conditions].map((condition) => `(${condition})`);
      return `countIf(${all.join(' AND ')}) AS n${i}`;
    });
    const perProfile = this.counted.map((_, i) => `sum(k.n${i}) AS rapport_n${i}`);
    // Type is a cheap column: PREWHERE reads the JSON of the scope's events of these types only.
    return `SELECT ${profileKeySql('k.customer_key', 'o.owner')} AS rapport_key, ${perProfile.join(', ')}
    FROM (SELECT customer_key, ${perKey.join(', ')}
          FROM events
          PREWHERE customer_key IN ${SCOPE.customerKeys} AND type IN (${types.join(', ')})
            AND type != 'identity_unlink'
          GROUP BY customer_key) AS k
    LEFT JOIN (${ownersSql({ within: SCOPE.anonymousIds })}) AS o ON o.anonymous_id = ${anonymousIdSql('k.customer_key')}
    GROUP BY rapport_key`;
  }
}
