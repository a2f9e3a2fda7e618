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
} from './kafka/index.js';
