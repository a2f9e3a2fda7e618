/**
 * Query parameters whose values are kept in logs: paging and options, never who is looked up.
 * Every other value (email, phone, any identifying parameter a route may add) is replaced.
 */
const SAFE_PARAMETERS = new Set([
  'limit',
  'before',
  'after',
  'cursor',
  'asOf',
  'wait',
  'format',
  'page',
  'pageSize',
  'since',
  'until',
  'run',
]);

/** A path segment that looks like an email address or a phone number. */
const PERSONAL_SEGMENT = /@|%40|^(\+|%2B)?[0-9 ().%-]{7,}$/i;
/** Path segments after which comes a customer's or a device's id. */
const BEFORE_AN_ID = new Set(['customers', 'visitors', 'links']);

/**
 * The URL as logs may show it: identifying query values, customer and device ids, and path
 * segments that look like an email address or a phone number replaced. The request id ties
 * a log line to the request when someone needs to follow one.
 */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  const path = at === -1 ? url : url.slice(0, at);
  const segments = path.split('/');
  const cleanPath = segments
    .map((segment, index) =>
      PERSONAL_SEGMENT.test(segment) ||
      (index > 0 && BEFORE_AN_ID.has(segments[index - 1] ?? '') && segment !== '')
        ? '[redacted]'
        : segment,
    )
    .join('/');
  if (at === -1) return cleanPath;
  const query = new URLSearchParams(url.slice(at + 1));
  const parts: string[] = [];
  for (const [name, value] of query) {
    parts.push(
      `${encodeURIComponent(name)}=${SAFE_PARAMETERS.has(name) ? encodeURIComponent(value) : '[redacted]'}`,
    );
  }
  return `${cleanPath}?${parts.join('&')}`;
}

/**
 * How a request appears in logs: method and redacted URL. No host, address or port: an IP
 * address is personal data.
 */
export function requestForLog(request: { method?: string; url?: string }) {
  return { method: request.method, url: redactUrl(request.url ?? '') };
}

/** A client error's message as logs may show it: quoted values (ids, emails…) elided. */
export function redactMessage(message: string): string {
  return message.replace(/"[^"]*"/g, '"…"');
}
