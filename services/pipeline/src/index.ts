export { EventSink, createWriteEventsStep, type EventSinkDeps } from './event-sink.js';
export { startPipeline, type Pipeline } from './pipeline.js';
export { createConsumeBatch } from './consume-batch.js';
export { dedupTokenOf, type LogRange } from './dedup-token.js';
export { createDecodeEventStep, type DecodeResult } from './steps/decode-event-step.js';
