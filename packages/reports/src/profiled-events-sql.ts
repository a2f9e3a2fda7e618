import { anonymousIdSql, ownersSql, profileKeySql } from '@rapport/profiles';

/**
 * SQL: events with the profile each belongs to now (`profile`: `c:<customerId>`, an anonymous
 * id's owner merged in, or `a:<anonymousId>` for a visitor no one owns), the same merge the
 * profile API makes. `where` filters the log (alias `e`); admin corrections count for nothing.
 */
export function profiledEventsSql(where: string): string {
  return `
    SELECT ${profileKeySql('e.customer_key', 'o.owner')} AS profile,
        e.customer_key AS customer_key, e.event_id AS event_id, e.type AS type,
        e.channel AS channel, e.timestamp AS timestamp, e.amount AS amount,
        e.context AS context, e.properties AS properties
    FROM events AS e
    LEFT JOIN (${ownersSql()}) AS o ON o.anonymous_id = ${anonymousIdSql('e.customer_key')}
    WHERE e.type != 'identity_unlink' AND (${where})`;
}

/** SQL: a campaign tag of an event's context (`source`, `medium` or `name`), '' when absent. */
export const campaignTagSql = (tag: 'source' | 'medium' | 'name') =>
  `JSONExtractString(context, 'campaign', '${tag}')`;
