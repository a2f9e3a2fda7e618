export {
  createLogger,
  stdoutLogDestination,
  type LogDestinationOptions,
  type Logger,
} from './logger.js';
export { Metrics } from './metrics.js';
