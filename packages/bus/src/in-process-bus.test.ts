import { describe, expect, it } from 'vitest';
import { InProcessBus } from './in-process-bus.js';
import { BusUnavailableError, type BusMessage } from './port.js';

const message = (eventId: string): BusMessage => ({
  key: 'c:1',
  eventId,
  type: 'track',
  value: '{}',
});

describe('InProcessBus', () => {
  it('is unavailable until a pipeline subscribes', async () => {
    const bus = new InProcessBus();
    expect(await bus.ready()).toBe(false);
    await expect(bus.publish([message('a')])).rejects.toBeInstanceOf(BusUnavailableError);
  });

  it('answers publish with the handler outcome, in order', async () => {
    const bus = new InProcessBus();
    const seen: string[] = [];
    await bus.subscribe((messages) => {
      seen.push(...messages.map((m) => m.eventId));
      return Promise.resolve(messages.map((m) => (m.eventId === 'b' ? 'duplicate' : 'stored')));
    });
    expect(await bus.publish([message('a'), message('b')])).toEqual({
      outcomes: ['stored', 'duplicate'],
    });
    expect(seen).toEqual(['a', 'b']);
  });

  it('turns retriable store failures into BusUnavailableError and passes others through', async () => {
    const bus = new InProcessBus();
    let failure: Error = Object.assign(new Error('store down'), { retriable: true });
    await bus.subscribe(() => Promise.reject(failure));
    await expect(bus.publish([message('a')])).rejects.toBeInstanceOf(BusUnavailableError);
    failure = new Error('bad row');
    await expect(bus.publish([message('a')])).rejects.toThrow('bad row');
  });

  it('refuses to publish after close', async () => {
    const bus = new InProcessBus();
    await bus.subscribe(() => Promise.resolve([]));
    await bus.close();
    await expect(bus.publish([message('a')])).rejects.toThrow(/shutting down/);
  });
});
