import { installChromiumIfMissing } from './chromium.js';

/**
 * Before any suite starts: the browser suites drive Debian's Chromium, which a fresh machine
 * run as root gets from apt here, once, rather than inside a suite's time limit.
 */
export default function setup(): void {
  installChromiumIfMissing();
}
