export {
  createLogger,
  logDestination,
  stdoutLogDestination,
  type LogDestinationOptions,
  type LogFormat,
  type Logger,
} from './logger.js';
export { Metrics } from './metrics.js';
