#!/usr/bin/env node
/**
 * Run before the tests (npm's `pretest`): the browser tests drive Debian's Chromium through
 * playwright-core, since browser downloads by test tools do not work everywhere. When it is
 * missing and this process may install packages (root, apt-get present, as on a fresh CI
 * machine), it installs it; otherwise it says what to run, and the browser tests fail naming it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import process from 'node:process';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get install -y chromium';

function canInstall() {
  return process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
}

if (!existsSync(CHROMIUM)) {
  if (canInstall()) {
    process.stderr.write(`Chromium is missing: ${INSTALL} (for the browser tests)…\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
  } else {
    process.stderr.write(
      `Chromium is missing at ${CHROMIUM}; the browser tests will fail until it is installed ` +
        `(Debian/Ubuntu: sudo ${INSTALL}).\n`,
    );
  }
}
