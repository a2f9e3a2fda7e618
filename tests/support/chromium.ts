import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';
const INSTALL_AS_USER = 'sudo apt-get update && sudo apt-get install -y chromium';

/**
 * Debian's Chromium, driven by playwright-core (browser downloads are not possible here).
 * Missing, it is installed when this runs as root with apt; otherwise the test fails naming
 * the command to run. It never skips.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    const root = process.getuid?.() === 0;
    if (!root || !existsSync('/usr/bin/apt-get')) {
      throw new Error(`the browser tests need Chromium at ${CHROMIUM}: run \`${INSTALL_AS_USER}\``);
    }
    execFileSync('sh', ['-c', INSTALL], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 600_000,
    });
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking'],
  });
}
