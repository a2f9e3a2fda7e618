export {
  BusUnavailableError,
  type BusMessage,
  type Delivery,
  type PublishResult,
  type BatchHandler,
  type EventBus,
} from './port.js';
export { InProcessBus } from './in-process-bus.js';
