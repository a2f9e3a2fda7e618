import { retryAfterMs, statusVerdict } from './retry-policy.js';
import { SIGNATURE_HEADER, signPayload } from './signature.js';

/** The header naming a batch; the same on every attempt, so receivers can drop repeats. */
export const DELIVERY_ID_HEADER = 'Rapport-Delivery-Id';

/** What one attempt to deliver a batch came to. */
export type AttemptResult =
  | { verdict: 'delivered'; status: number }
  | { verdict: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  | { verdict: 'fail'; reason: string; status?: number };

/** Most of a response body kept for the logs. */
const SNIPPET_BYTES = 512;

/** The start of a response body as text; the rest is not read, so a huge body costs nothing. */
async function snippet(response: Response): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    while (bytes < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.length;
    }
  } catch {
    // A body cut short says nothing more than the status already did.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8', 0, SNIPPET_BYTES).trim();
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail = cause?.code ?? cause?.message;
  const message = error instanceof Error ? error.message : String(error);
  return typeof detail === 'string' ? `${message} (${detail})` : message;
}

/**
 * One signed POST of a batch. Signed anew on every attempt, so that the timestamp is fresh
 * for the receiver's tolerance check. Redirects are not followed: a webhook URL that moved is
 * a configuration to fix, and following it would send the payload somewhere unconfigured.
 */
export async function postBatch(options: {
  url: string;
  body: string;
  deliveryId: string;
  secret: string;
  userAgent: string;
  timeoutMs: number;
  /** Aborted when the dispatcher stops: the attempt ends at once. */
  stop: AbortSignal;
}): Promise<AttemptResult> {
  const { url, body, deliveryId, secret, userAgent, timeoutMs, stop } = options;
  const timestamp = Math.floor(Date.now() / 1000);
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.any([timeout, stop]),
      headers: {
        'Content-Type': 'application/json',
        [SIGNATURE_HEADER]: signPayload({ secret, timestamp, body }),
        [DELIVERY_ID_HEADER]: deliveryId,
        'User-Agent': userAgent,
      },
      body,
    });
  } catch (error) {
    if (stop.aborted) return { verdict: 'fail', reason: 'stopped before the receiver answered' };
    if (timeout.aborted) return { verdict: 'retry', reason: `no answer within ${timeoutMs} ms` };
    return { verdict: 'retry', reason: networkReason(error) };
  }
  const { status } = response;
  const verdict = statusVerdict(status);
  const text = await snippet(response);
  if (verdict === 'delivered') return { verdict, status };
  const reason = `HTTP ${status}${text ? `: ${text}` : ''}`;
  if (verdict === 'fail') return { verdict, status, reason };
  const wait = retryAfterMs(response.headers.get('retry-after'), Date.now());
  return { verdict, status, reason, ...(wait === undefined ? {} : { retryAfterMs: wait }) };
}
