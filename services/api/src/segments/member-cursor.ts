import { HttpError } from '@rapport/http';

/** Where a members page ends: the run it reads and the last profile key it gave. */
export interface MemberCursor {
  runId: string;
  after: string;
}

/** Opaque to clients; pins the pages that follow to the run the first page read. */
export function encodeCursor(cursor: MemberCursor): string {
  return Buffer.from(JSON.stringify([cursor.runId, cursor.after])).toString('base64url');
}

export function decodeCursor(text: string): MemberCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string'
    ) {
      return { runId: value[0], after: value[1] };
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw new HttpError(400, 'the cursor is not one this API gave; start again without it', {}, [
    { path: '/cursor', message: 'not a cursor from a previous page' },
  ]);
}
