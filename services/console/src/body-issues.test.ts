import { describe, expect, it } from 'vitest';
import { bodyIssues } from './app/api.js';

// A body the API's schema refuses is answered with one message naming each part at fault
// (`body.<path>: <what is wrong>`, joined by "; "); the console shows each at its field.
describe('the issues of a refused body', () => {
  it('are read from the message, each at its JSON pointer', () => {
    expect(
      bodyIssues(
        'body.requiresConsent.0: must be 1–32 of a-z 0-9 _, starting with a letter (e.g. marketing); body.name: is required',
      ),
    ).toEqual([
      {
        path: '/requiresConsent/0',
        message: 'must be 1–32 of a-z 0-9 _, starting with a letter (e.g. marketing)',
      },
      { path: '/name', message: 'is required' },
    ]);
  });

  it('are none for a message that names no part of the body', () => {
    expect(bodyIssues('invalid rule: rule: must be an object')).toEqual([]);
    expect(bodyIssues('querystring.limit: must be at most 10000')).toEqual([]);
  });
});
