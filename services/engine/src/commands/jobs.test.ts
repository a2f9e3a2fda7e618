import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@rapport/config';
import type { RunRecord } from '@rapport/jobs';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runJobCommand } from './jobs.js';

const run = (runId: string, status: RunRecord['status'], trigger: RunRecord['trigger']) => ({
  runId,
  job: 'segments',
  params: {},
  trigger,
  status,
  startedAt: '2026-12-01T10:00:00.000Z',
  finishedAt: status === 'running' ? null : '2026-12-01T10:00:02.000Z',
  rowsWritten: 0,
  phases: [],
  progress: null,
  summary: {},
  error: null,
});

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
  vi.restoreAllMocks();
});

/** An engine's jobs routes, by hand: `answer` gives each request's status and body. */
async function engineAnswering(
  answer: (request: IncomingMessage) => [number, unknown],
): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    const [status, body] = answer(request);
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('rapport jobs run, on a running engine', () => {
  it('waits for a run of the job that is going, then starts its own', async () => {
    let polls = 0;
    let started = false;
    const engine = await engineAnswering((request) => {
      if (request.method === 'POST') {
        if (polls < 2) return [409, { message: 'job segments is already running as run saved-1' }];
        started = true;
        return [202, run('mine', 'running', 'cli')];
      }
      if (request.url === '/v1/jobs') {
        return [
          200,
          { jobs: [{ name: 'segments', lastRun: run('saved-1', 'running', 'segment-saved') }] },
        ];
      }
      if (request.url === '/v1/jobs/runs/saved-1') {
        polls++;
        return [200, run('saved-1', polls < 2 ? 'running' : 'succeeded', 'segment-saved')];
      }
      return [200, run('mine', started ? 'succeeded' : 'running', 'cli')];
    });
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      said.push(String(text));
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const succeeded = await runJobCommand(
      'segments',
      {},
      {
        config: loadConfig({}),
        logger: pino({ level: 'silent' }),
        url: engine.url,
      },
    );
    expect(succeeded).toBe(true);
    expect(said.join('')).toMatch(
      /segments is running already \(run saved-1, started by segment-saved\): this run starts when it has ended/,
    );
    expect(engine.seen.filter((line) => line.startsWith('POST'))).toHaveLength(2);
    expect(engine.seen).toContain('GET /v1/jobs/runs/mine');
  });

  it('still fails on any other refusal, with the engine’s message', async () => {
    const engine = await engineAnswering(() => [400, { message: 'segments: no segment "x"' }]);
    await expect(
      runJobCommand(
        'segments',
        { segments: ['x'] },
        {
          config: loadConfig({}),
          logger: pino({ level: 'silent' }),
          url: engine.url,
        },
      ),
    ).rejects.toThrow(/answered 400: segments: no segment "x"/);
  });
});
