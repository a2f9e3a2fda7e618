export { EventSink, createWriteEventsStep, type EventSinkDeps } from './event-sink.js';
export { startPipeline, type Pipeline } from './pipeline.js';
