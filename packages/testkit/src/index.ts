export { makeEvent, makeEvents, BASE_TIME } from './event-factories.js';
export * from './generator/index.js';
