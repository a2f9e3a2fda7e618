export { createEngine, type Engine } from './engine.js';
export { DemoError, runDemo, type DemoOptions, type DemoSummary } from './commands/demo.js';
