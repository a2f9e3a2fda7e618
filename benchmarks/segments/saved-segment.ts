import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SegmentRule } from '@rapport/schemas';
import { startEngine } from '../lib/engine-process.js';
import { round } from '../lib/machine.js';
import { profileRowsMirrored } from '../lib/profile-rows-ready.js';

/** A segment none of the twenty is: every customer with an order, all new members. */
export const NEW_SEGMENT: { id: string; name: string; rule: SegmentRule } = {
  id: 'buyers',
  name: 'Ordered at least once',
  rule: { type: 'field', field: 'orders', op: 'gte', value: 1 },
};

interface RunRecord {
  runId: string;
  trigger: string;
  status: string;
  params: Record<string, unknown>;
  startedAt: string;
  finishedAt: string | null;
  phases: { name: string; seconds: number }[];
  summary: { segments?: Record<string, { members: number; entered: number }> };
}

/**
 * A new segment saved on the engine, as a marketer saves one: the seconds from its 201 to its
 * members being listed (`GET /v1/segments/:id/members` answering 200), and the run the save
 * started. The engine has the segments job scheduled (on a date far off, so that no scheduled
 * run comes between) and its profile rows copied before the save, so that only the save's
 * run is measured.
 */
export async function savedSegment(
  dataDir: string,
  options: { onSpawn: (child: ChildProcess) => void; log: (message: string) => void },
) {
  const engine = await startEngine({
    dataDir,
    env: { RAPPORT_SCHEDULE_SEGMENTS: '0 0 1 1 *' },
    onSpawn: options.onSpawn,
  });
  try {
    await profileRowsMirrored(engine.origin, { log: options.log });
    const saved = await fetch(`${engine.origin}/v1/segments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(NEW_SEGMENT),
    });
    if (saved.status !== 201) {
      throw new Error(`saving segment ${NEW_SEGMENT.id}: ${saved.status} ${await saved.text()}`);
    }
    const started = performance.now();
    const deadline = started + 15 * 60_000;
    for (;;) {
      const members = await fetch(`${engine.origin}/v1/segments/${NEW_SEGMENT.id}/members?limit=1`);
      await members.arrayBuffer();
      if (members.status === 200) break;
      if (members.status !== 409 || performance.now() > deadline) {
        throw new Error(`members of ${NEW_SEGMENT.id}: ${members.status}`);
      }
      await sleep(100);
    }
    const seconds = (performance.now() - started) / 1000;
    // Members are listed once the run has evaluated the segment; its entries are then recorded
    // and sent (the reconcile phase). The run as it ended:
    let run: RunRecord | undefined;
    while (run?.status !== 'succeeded') {
      const { runs } = (await (
        await fetch(`${engine.origin}/v1/jobs/runs?job=segments&limit=5`)
      ).json()) as { runs: RunRecord[] };
      run = runs.find((candidate) => candidate.trigger === 'segment-saved');
      if (run === undefined) throw new Error('the save started no segments run');
      if (run.status === 'failed') throw new Error(`the save's run failed: ${JSON.stringify(run)}`);
      await sleep(200);
    }
    const figures = run.summary.segments?.[NEW_SEGMENT.id];
    return {
      segment: NEW_SEGMENT.id,
      secondsToMembers: round(seconds, 2),
      secondsToRunEnd: round(
        (Date.parse(run.finishedAt ?? run.startedAt) - Date.parse(run.startedAt)) / 1000,
        2,
      ),
      run: {
        runId: run.runId,
        status: run.status,
        params: run.params,
        phases: run.phases,
        members: figures?.members ?? 0,
        entered: figures?.entered ?? 0,
      },
    };
  } finally {
    await engine.stop();
  }
}
