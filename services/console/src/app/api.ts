/** The API as the console calls it: same origin, the session's key as a bearer token. */

const KEY = 'rapport.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

type KeyListener = () => void;
const keyListeners = new Set<KeyListener>();

/** Called when the API asks for a key (401) so the page can ask the user for one. */
export function onKeyNeeded(listener: KeyListener): () => void {
  keyListeners.add(listener);
  return () => keyListeners.delete(listener);
}

export const apiKey = () => sessionStorage.getItem(KEY);
export function setApiKey(key: string | null) {
  if (key === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, key);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey();
  return { ...extra, ...(key ? { authorization: `Bearer ${key}` } : {}) };
}

/**
 * The issues of a body the API's schema refused, read from its message
 * (`body.requiresConsent.0: must be …; body.name: is required`), each at its JSON pointer.
 */
export function bodyIssues(message: string): { path: string; message: string }[] {
  return message.split(/; (?=body\.)/).flatMap((part) => {
    const found = /^body\.([\w.]+): (.*)$/s.exec(part);
    return found ? [{ path: `/${found[1]!.replaceAll('.', '/')}`, message: found[2]! }] : [];
  });
}

async function failure(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  let issues: { path: string; message: string }[] = [];
  try {
    const body = (await response.json()) as { message?: string; issues?: typeof issues };
    if (body.message) message = body.message;
    issues = body.issues ?? (response.status === 400 ? bodyIssues(message) : []);
  } catch {
    // Not JSON: the status says enough.
  }
  if (response.status === 401) for (const listener of keyListeners) listener();
  return new ApiError(response.status, message, issues);
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: headers({ accept: 'application/json' }) });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

export async function sendJson<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
  const response = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw await failure(response);
  const text = await response.text();
  return (text === '' ? null : JSON.parse(text)) as T;
}

/** Downloads a file the API answers (a members CSV) with the session's key. */
export async function download(path: string, filename: string) {
  const response = await fetch(path, { headers: headers({ accept: 'text/csv' }) });
  if (!response.ok) throw await failure(response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

/** A query string from the defined values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
