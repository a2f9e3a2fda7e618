import type { DeadLetter } from '../port.js';
import { deadLetterHeaders } from './headers.js';
import type { KafkaPublisher } from './publisher.js';

/** Sends refused messages to the dead-letter topic, keyed as they were, acks=all. */
export function createDeadLetterSender(publisher: KafkaPublisher, topic: string) {
  return async function sendDeadLetters(letters: DeadLetter[]): Promise<void> {
    const now = new Date();
    await publisher.send(
      topic,
      letters.map((letter) => ({
        key: letter.key,
        value: letter.value,
        headers: deadLetterHeaders(letter, now),
      })),
    );
  };
}
