export {
  BusUnavailableError,
  isInvalid,
  isRetriable,
  type BusMessage,
  type Delivery,
  type Invalid,
  type Outcome,
  type PublishOutcome,
  type PublishResult,
  type Delivered,
  type DeliveredBatch,
  type DeadLetter,
  type BatchHandler,
  type EventBus,
} from './port.js';
export { InProcessBus, type InProcessBusOptions } from './in-process-bus.js';
export { toBusMessage } from './message.js';
export {
  KafkaBus,
  EVENTS_TOPIC,
  DEAD_LETTER_TOPIC,
  BusMessageTooLargeError,
  createEachBatch,
  readDeadLetter,
  HEADER,
  type KafkaBusOptions,
  type EachBatchDeps,
  KafkaChangeFeed,
  SEGMENT_CHANGES_TOPIC,
  CHANGE_HEADER,
  changeKey,
  type KafkaChangeFeedOptions,
} from './kafka/index.js';
export type { ChangeSink } from './change-sink.js';
export { InProcessChangeFeed, type ChangeListener } from './in-process-change-feed.js';
