import { makeEvent } from '@rapport/testkit';
import { describe, expect, it } from 'vitest';
import { createCheckEventDepthStep } from './check-event-depth-step.js';

const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

describe('checkEventDepthStep', () => {
  const check = createCheckEventDepthStep(32);

  it('takes an event nested up to the limit', () => {
    // The event is level 1 and properties level 2: 30 more levels fit.
    const event = makeEvent('track', { properties: { name: 'n', deep: nested(30) } });
    expect(check(event)).toMatchObject({ ok: true });
  });

  it('rejects deeper nesting with the path where it starts to be too deep', () => {
    const event = makeEvent('track', { properties: { name: 'n', deep: nested(31) } });
    expect(check(event)).toMatchObject({
      ok: false,
      reason: 'too_deep',
      errors: [{ path: `properties.deep${'[0]'.repeat(30)}` }],
    });
  });

  it('copes with JSON nested hundreds of thousands deep, without recursion', () => {
    const event = { ...makeEvent('track'), properties: nested(500_000) };
    expect(check(event)).toMatchObject({ ok: false, reason: 'too_deep' });
  });
});
