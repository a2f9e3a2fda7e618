/** A problem with one part of a request body, pointed at by a JSON Pointer. */
export interface HttpIssue {
  path: string;
  message: string;
}

/** An error meant for the client: its status, message and issues are sent as they are. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly issues?: readonly HttpIssue[],
  ) {
    super(message);
  }
}
