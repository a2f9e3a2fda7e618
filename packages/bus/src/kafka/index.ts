export { KafkaBus } from './kafka-bus.js';
export { EVENTS_TOPIC, DEAD_LETTER_TOPIC, backoffDelay, type KafkaBusOptions } from './options.js';
export { createEachBatch, type EachBatchDeps } from './each-batch.js';
export { HEADER, readDeadLetter } from './headers.js';
export { BusMessageTooLargeError } from './errors.js';
export { KafkaChangeFeed, type KafkaChangeFeedOptions } from './kafka-change-feed.js';
export { SEGMENT_CHANGES_TOPIC, CHANGE_HEADER, changeKey } from './change-messages.js';
