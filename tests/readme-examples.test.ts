import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerLines,
  expectedStatus,
  isExample,
  readmeBlocks,
  unmatchedAnswer,
  type ReadmeBlock,
  type ReadmeStep,
} from './support/readme-examples.js';
import { repoRoot, signal, spawnEngine, type SpawnedEngine } from './support/spawn-engine.js';

/**
 * Every shell example of the READMEs, run as written against an engine on a fresh embedded
 * store loaded with the demo data, in README order, as a newcomer would: `curl` is curl,
 * `npm run rapport -- …`, `npx rapport …` and `rapport …` are the project's command line. Only
 * the port changes (8080 becomes the test engine's). A command must exit 0, its HTTP answers
 * must be 2xx (or the status the README shows), and its output must match the answer the
 * README shows under it. A block after `<!-- not tested: <reason> -->` is skipped.
 */

const READMES = ['README.md', 'infra/README.md'].map((file) => join(repoRoot, file));
const STEP_TIMEOUT_MS = 300_000;

const blocks: ReadmeBlock[] = READMES.flatMap((file) => readmeBlocks(file));

let engine: SpawnedEngine;
let port: string;
let work: string;
let dataDir: string;
let statusFile: string;
let env: NodeJS.ProcessEnv;
let engineExited = false;

/** A directory standing in for the checkout: `npm run rapport`, `npx rapport` and `rapport` work there. */
function prepareWorkDir(root: string): void {
  const bin = join(root, 'bin');
  mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
  mkdirSync(bin);
  const cli = join(repoRoot, 'services/engine/bin/rapport.js');
  writeFileSync(
    join(root, 'package.json'),
    `${JSON.stringify({ name: 'readme-examples', private: true, scripts: { rapport: `node ${cli}` } })}\n`,
  );
  symlinkSync(cli, join(root, 'node_modules', '.bin', 'rapport'));
  const rapport = join(bin, 'rapport');
  writeFileSync(rapport, `#!/bin/sh\nexec node ${JSON.stringify(cli)} "$@"\n`);
  // curl as it is, noting each answer's status for the test (its -w goes first, so a -w of
  // the example's own wins and the status is then not checked).
  const curl = join(bin, 'curl');
  writeFileSync(
    curl,
    [
      '#!/bin/bash',
      'err=$(mktemp)',
      `/usr/bin/env -u RAPPORT_README_STATUS PATH="$RAPPORT_README_PATH" curl -w '%{stderr}%{http_code}' "$@" 2>"$err"`,
      'rc=$?',
      'code=$(tail -c 3 "$err")',
      'head -c -3 "$err" >&2',
      'rm -f "$err"',
      'case "$code" in [0-9][0-9][0-9]) echo "$code" >> "$RAPPORT_README_STATUS" ;; esac',
      'exit $rc',
      '',
    ].join('\n'),
  );
  for (const file of [rapport, curl]) chmodSync(file, 0o755);
  // Examples pipe JSON into `jq` to read it; where jq is not installed, a stand-in
  // pretty-prints (the only filter the examples use is the identity).
  if (!onPath('jq')) {
    const jq = join(bin, 'jq');
    writeFileSync(
      jq,
      `#!/usr/bin/env node\nconst f = process.argv[2] ?? '.';\nif (f !== '.') { console.error('jq stand-in: only "." is supported; install jq'); process.exit(2); }\nlet s = '';\nprocess.stdin.on('data', (c) => (s += c)).on('end', () => console.log(JSON.stringify(JSON.parse(s), null, 2)));\n`,
    );
    chmodSync(jq, 0o755);
  }
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(':')
    .some((dir) => dir !== '' && existsSync(join(dir, command)));
}

const withPort = (command: string) =>
  command.replace(/\b(localhost|127\.0\.0\.1):8080\b/g, (_, host: string) => `${host}:${port}`);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  statuses: number[];
}

/** Runs one step with bash, after the block's earlier `export` lines. */
async function run(step: ReadmeStep, exports: readonly string[]): Promise<Ran> {
  writeFileSync(statusFile, '');
  const script = ['set -o pipefail', ...exports, withPort(step.command)].join('\n');
  const child = spawn('bash', ['-c', script], {
    cwd: work,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const statuses = readFileSync(statusFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map(Number);
  return { code, stdout, stderr, statuses };
}

const where = (block: ReadmeBlock, step: ReadmeStep) =>
  `${relative(repoRoot, block.file)}:${step.line}`;

const clip = (text: string) => (text.length > 2000 ? `${text.slice(0, 2000)}…` : text);

/** What went wrong with a step, said so the author of the example can fix it; none when fine. */
function problem(step: ReadmeStep, ran: Ran): string | undefined {
  if (ran.code !== 0) return `exited with ${ran.code}`;
  const status = expectedStatus(step.expected);
  const refused = ran.statuses.filter((code) =>
    status === undefined ? code < 200 || code >= 300 : code !== status,
  );
  if (refused.length > 0) {
    return `answered HTTP ${refused.join(', ')}${status === undefined ? ' (the README shows no status, so 2xx was expected)' : ` where the README shows ${status}`}`;
  }
  const answer = answerLines(step.expected);
  const missing = unmatchedAnswer(ran.stdout, answer);
  if (missing !== undefined) return `printed no line matching the README's "${missing}"`;
  const json = ran.stdout.trim();
  if (/^curl\b/.test(step.command.trim()) && /^[[{]/.test(json) && answer.length === 0) {
    try {
      JSON.parse(json);
    } catch {
      return 'printed something that starts like JSON but is not';
    }
  }
  return undefined;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'rapport-readme-'));
  dataDir = join(work, 'data');
  statusFile = join(work, 'statuses');
  prepareWorkDir(work);
  engine = await spawnEngine({
    dataDir,
    // The segments job runs when an example asks, not every 15 minutes in between.
    env: { RAPPORT_SCHEDULE_SEGMENTS: 'off' },
  });
  port = new URL(engine.url).port;
  void engine.exited.then(() => (engineExited = true));
  env = {
    ...process.env,
    PATH: `${join(work, 'bin')}:${process.env.PATH ?? ''}`,
    RAPPORT_README_PATH: process.env.PATH ?? '',
    RAPPORT_README_STATUS: statusFile,
    // The data directory the engine runs on, as `.rapport-data` is in a checkout.
    RAPPORT_DATA_DIR: dataDir,
    NO_COLOR: '1',
  };
  delete env.RAPPORT_URL;
  delete env.RAPPORT_API_KEY;
  delete env.RAPPORT_PORT;
}, 120_000);

afterAll(async () => {
  if (engine && !engineExited) {
    signal(engine, 'SIGTERM');
    await engine.exited;
  }
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('the README examples, run as written', () => {
  it('finds the examples', () => {
    expect(blocks.filter((block) => block.skip === undefined).length).toBeGreaterThan(5);
  });

  for (const block of blocks) {
    const name = `${relative(repoRoot, block.file)}:${block.line}`;
    if (block.skip !== undefined) {
      it.skip(`${name} (not tested: ${block.skip})`, () => undefined);
      continue;
    }
    it(
      name,
      async () => {
        const exports: string[] = [];
        for (const step of block.steps) {
          if (/^export\s/.test(step.command)) {
            exports.push(withPort(step.command));
            continue;
          }
          if (!isExample(step) && !/^(npm|npx|node)\b/.test(step.command)) continue;
          const ran = await run(step, exports);
          const wrong = problem(step, ran);
          if (wrong !== undefined) {
            expect.fail(
              [
                `${where(block, step)}: the example ${wrong}.`,
                `command (port ${port} for 8080):`,
                withPort(step.command),
                ...(step.expected.length > 0 ? ['README shows:', ...step.expected] : []),
                'stdout:',
                clip(ran.stdout),
                'stderr:',
                clip(ran.stderr),
                ...(engineExited
                  ? ['the engine exited; its last lines:', ...engine.logs.slice(-40)]
                  : []),
                `Fix the example, or put <!-- not tested: <reason> --> right before its block.`,
              ].join('\n'),
            );
          }
        }
      },
      STEP_TIMEOUT_MS * 2,
    );
  }
});
