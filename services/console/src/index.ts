export { consolePlugin } from './console-plugin.js';
export { buildConsole, type ConsoleAsset } from './build-console.js';
