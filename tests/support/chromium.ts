import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';
const INSTALL_AS_USER = 'sudo apt-get update && sudo apt-get install -y chromium';

/**
 * Installs Debian's Chromium when it is missing and this runs as root with apt (a fresh CI
 * machine); otherwise leaves it to launchChromium to say what to run.
 */
export function installChromiumIfMissing(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return;
  try {
    execFileSync('sh', ['-c', INSTALL], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 900_000,
    });
  } catch {
    // launchChromium fails with the command to run.
  }
}

/**
 * Debian's Chromium, driven by playwright-core (browser downloads are not possible here).
 * Missing, it is installed when this runs as root with apt; otherwise the test fails naming
 * the command to run. It never skips.
 */
export async function launchChromium(): Promise<Browser> {
  installChromiumIfMissing();
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the browser tests need Chromium at ${CHROMIUM}: run \`${INSTALL_AS_USER}\``);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking'],
  });
}
