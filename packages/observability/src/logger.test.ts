import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const LOGGER = fileURLToPath(new URL('./logger.ts', import.meta.url));

/** Logs one line in a process of its own, stdout a pipe, and returns what it printed. */
async function logged(format: string, isTTY?: boolean) {
  const code = `
    import { createLogger, logDestination } from ${JSON.stringify(LOGGER)};
    const destination = logDestination(${JSON.stringify(format)}, ${JSON.stringify(isTTY === undefined ? {} : { isTTY })});
    createLogger({ level: 'info', destination }).info({ orders: 3 }, 'import finished');
  `;
  const { stdout } = await run(process.execPath, [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    code,
  ]);
  return stdout;
}

describe('log destination', () => {
  it('writes JSON lines by default and whenever stdout is not a terminal', async () => {
    for (const output of [await logged('json'), await logged('auto')]) {
      expect(JSON.parse(output)).toMatchObject({ level: 30, msg: 'import finished', orders: 3 });
    }
  });

  it('writes readable lines when asked, or at a terminal', async () => {
    for (const coloured of [await logged('pretty'), await logged('auto', true)]) {
      // eslint-disable-next-line no-control-regex
      const output = coloured.replace(/\u001b\[[0-9;]*m/g, '');
      expect(output).not.toMatch(/^\{/);
      expect(output).toMatch(/INFO.*\(rapport\): import finished/);
      expect(output).toMatch(/orders: 3/);
    }
  });
});
