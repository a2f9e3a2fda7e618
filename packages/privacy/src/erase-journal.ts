import { LOCAL_SUFFIX, type QueryParams, type Store } from '@rapport/store';
import { JOURNAL_TABLE } from './erasure-targets.js';

/**
 * A journal line (one event's JSON) that is the subject's: its profile key (`c:<customerId>`
 * whenever it has a customer id) or its anonymous id's key is one of the subject's, by hash
 * (`{keyMarks}`), so the mutation's kept text holds no id.
 */
const LINE_IS_SUBJECTS =
  "(toString(cityHash64(JSONExtractString(l, 'customer_key'))) IN {keyMarks:Array(String)} OR (JSONExtractString(l, 'customer_id') = '' AND toString(cityHash64(concat('a:', JSONExtractString(l, 'anonymous_id')))) IN {keyMarks:Array(String)}))";
const LINES = "splitByChar('\\n', body)";

/**
 * Removes the subject's events from the event journal (raw bodies kept up to 7 days for crash
 * recovery). Each block's body is rewritten without the subject's lines, so that the other
 * customers' events of a block cut by a crash are still inserted again at start-up; a block
 * left with no line is deleted. Returns the number of lines removed.
 */
export async function eraseFromJournal(
  store: Store,
  params: QueryParams & { keyMarks: string[] },
): Promise<number> {
  const [count] = await store.query<{ n: number | string }>(
    `SELECT sum(arrayCount(l -> ${LINE_IS_SUBJECTS}, ${LINES})) AS n FROM ${JOURNAL_TABLE}
     WHERE done = 0`,
    params,
  );
  const lines = Number(count?.n ?? 0);
  if (lines === 0) return 0;
  const target =
    store.cluster === undefined
      ? JOURNAL_TABLE
      : `${store.database}.${JOURNAL_TABLE}${LOCAL_SUFFIX} ON CLUSTER ${store.cluster}`;
  const kept = `arrayFilter(l -> NOT ${LINE_IS_SUBJECTS}, ${LINES})`;
  await store.command(
    `ALTER TABLE ${target} UPDATE body = arrayStringConcat(${kept}, '\\n'), rows = toUInt32(length(${kept}))
     WHERE done = 0 AND arrayExists(l -> ${LINE_IS_SUBJECTS}, ${LINES})
     SETTINGS mutations_sync = 2`,
    { keyMarks: params.keyMarks },
  );
  await store.command(
    `ALTER TABLE ${target} DELETE WHERE done = 0 AND rows = 0 SETTINGS mutations_sync = 2`,
  );
  return lines;
}
