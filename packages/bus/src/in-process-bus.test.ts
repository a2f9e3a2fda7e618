import { describe, expect, it } from 'vitest';
import { InProcessBus } from './in-process-bus.js';
import { BusUnavailableError, type BusMessage } from './port.js';

const message = (eventId: string, value = '{}'): BusMessage => ({
  key: 'c:1',
  eventId,
  type: 'track',
  value,
});

describe('InProcessBus', () => {
  it('is unavailable until a pipeline subscribes', async () => {
    const bus = new InProcessBus();
    expect(await bus.ready()).toBe(false);
    await expect(bus.publish([message('a')])).rejects.toBeInstanceOf(BusUnavailableError);
  });

  it('answers publish with the handler outcome, in order, handing over the validated message', async () => {
    const bus = new InProcessBus();
    const seen: string[] = [];
    await bus.subscribe((batch) => {
      seen.push(...batch.messages.map((m) => m.published?.eventId ?? '?'));
      return Promise.resolve(
        batch.messages.map((m) => (m.published?.eventId === 'b' ? 'duplicate' : 'stored')),
      );
    });
    expect(await bus.publish([message('a'), message('b')])).toEqual({
      outcomes: ['stored', 'duplicate'],
    });
    expect(seen).toEqual(['a', 'b']);
  });

  it('numbers messages across publishes on one partition of a topic of its own', async () => {
    const bus = new InProcessBus();
    const positions: string[] = [];
    await bus.subscribe((batch) => {
      positions.push(...batch.messages.map((m) => `${batch.topic}/${batch.partition}/${m.offset}`));
      return Promise.resolve(batch.messages.map(() => 'stored' as const));
    });
    await bus.publish([message('a'), message('b')]);
    await bus.publish([message('c')]);
    expect(positions).toEqual([0, 1, 2].map((offset) => `${bus.topic}/0/${offset}`));
    expect(bus.topic).not.toBe(new InProcessBus().topic);
  });

  it('keeps what the subscriber refused as a dead letter and tells the publisher', async () => {
    const letters: string[] = [];
    const bus = new InProcessBus({ onDeadLetter: (letter) => letters.push(letter.reason) });
    await bus.subscribe((batch) =>
      Promise.resolve(
        batch.messages.map((m) =>
          m.value.toString() === 'oops' ? { invalid: 'not JSON' } : ('stored' as const),
        ),
      ),
    );
    expect(await bus.publish([message('a'), message('b', 'oops')])).toEqual({
      outcomes: ['stored', { deadLettered: 'not JSON' }],
    });
    expect(letters).toEqual(['not JSON']);
    expect(bus.deadLetters).toMatchObject([
      { reason: 'not JSON', topic: bus.topic, partition: 0, offset: '1', key: 'c:1' },
    ]);
    expect(bus.deadLetters[0]?.value.toString()).toBe('oops');
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
