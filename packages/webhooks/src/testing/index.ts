export { startReceiver, type ReceivedRequest, type Reply } from './receiver.js';
export { segmentChanges, recordingLogger, deliveries, type LogEntry } from './fixtures.js';
