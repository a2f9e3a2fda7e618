import { describe, expect, it } from 'vitest';
import { IngestShare, MAX_REST, MIN_REST } from './ingest-share.js';

/**
 * Ingest and evaluation on a simulated clock, a millisecond at a time: the writer commits a
 * batch of 100 keys each time it has done a batch's work, at a batch per `msPerBatch.other`
 * while no evaluation runs and per `msPerBatch.evaluating` while one does; evaluations take
 * `evaluationMs` and rest as the estimate says (or `fixedRest`). With `uneven`, batches hold
 * 20-180 keys (the work of each in proportion) and evaluations take half to twice as long.
 */
function simulate(options: {
  seconds: number;
  msPerBatch: { other: number; evaluating: number };
  evaluationMs: number;
  share?: number;
  fixedRest?: number;
  uneven?: boolean;
}) {
  let now = 0;
  let seed = 7;
  // A small deterministic generator: the same batches each run.
  const random = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  const uneven = (low: number, high: number) =>
    options.uneven === true ? low + (high - low) * random() : 1;
  let batch = 100 * uneven(0.2, 1.8);
  const ingest = new IngestShare({
    share: options.share ?? 0.85,
    fallback: 1,
    clock: () => now,
  });
  let work = 0;
  let keys = 0;
  let evaluating = false;
  let phaseEndsAt = 0;
  const rests: number[] = [];
  for (; now < options.seconds * 1000; now++) {
    if (now >= phaseEndsAt) {
      if (evaluating) {
        ingest.ended();
        const rest = options.fixedRest ?? ingest.estimate().rest;
        rests.push(rest);
        phaseEndsAt = now + rest * options.evaluationMs;
      } else {
        ingest.started();
        phaseEndsAt = now + options.evaluationMs * uneven(0.5, 2);
      }
      evaluating = !evaluating;
    }
    work += 100 / (evaluating ? options.msPerBatch.evaluating : options.msPerBatch.other);
    if (work >= batch) {
      work -= batch;
      const taken = Math.round(batch);
      keys += taken;
      ingest.committed(taken);
      batch = 100 * uneven(0.2, 1.8);
    }
  }
  // What ingest kept of the rate it has with no evaluation at all.
  const share = keys / ((options.seconds * 1000 * 100) / options.msPerBatch.other);
  return { estimate: ingest.estimate(), share, rests };
}

describe('IngestShare', () => {
  it('rests as told until it has seen ingest long enough', () => {
    const ingest = new IngestShare({ share: 0.85, fallback: 1, clock: () => 0 });
    expect(ingest.estimate()).toEqual({ rest: 1, interference: null, share: null });
    const { rests } = simulate({
      seconds: 3,
      msPerBatch: { other: 100, evaluating: 100 },
      evaluationMs: 300,
    });
    expect(rests.slice(0, 3)).toEqual([1, 1, 1]);
  });

  it('rests as little as it can where evaluating leaves ingest its pace', () => {
    const { estimate, share } = simulate({
      seconds: 60,
      msPerBatch: { other: 100, evaluating: 100 },
      evaluationMs: 300,
    });
    expect(estimate.interference).toBeLessThan(0.05);
    expect(estimate.rest).toBe(MIN_REST);
    expect(share).toBeGreaterThan(0.97);
  });

  it('measures what an evaluation takes of ingest', () => {
    // Half the pace while evaluating, half the time evaluating: ingest at 0.75.
    const { estimate, share } = simulate({
      seconds: 60,
      msPerBatch: { other: 100, evaluating: 200 },
      evaluationMs: 300,
      fixedRest: 1,
    });
    expect(estimate.interference).toBeGreaterThan(0.4);
    expect(estimate.interference).toBeLessThan(0.6);
    expect(estimate.share).toBeGreaterThan(0.7);
    expect(estimate.share).toBeLessThan(0.8);
    expect(share).toBeCloseTo(0.75, 1);
  });

  it('rests enough to keep the share of ingest it is set to', () => {
    for (const target of [0.8, 0.85, 0.9]) {
      const { estimate, share } = simulate({
        seconds: 120,
        msPerBatch: { other: 100, evaluating: 200 },
        evaluationMs: 300,
        share: target,
      });
      // A loss of (1 - target) at interference 0.5: evaluating 2 × (1 - target) of the time.
      const duty = 2 * (1 - target);
      expect(estimate.rest).toBeCloseTo((1 - duty) / duty, 0);
      expect(share).toBeGreaterThan(target - 0.03);
      expect(share).toBeLessThan(target + 0.05);
    }
  });

  it('keeps that share with batches and evaluations of uneven sizes', () => {
    const { share } = simulate({
      seconds: 120,
      msPerBatch: { other: 100, evaluating: 200 },
      evaluationMs: 300,
      share: 0.85,
      uneven: true,
    });
    expect(share).toBeGreaterThan(0.82);
    expect(share).toBeLessThan(0.9);
  });

  it('follows a change of load within a minute, and keeps within its bounds', () => {
    let now = 0;
    const ingest = new IngestShare({ share: 0.85, fallback: 1, clock: () => now });
    const run = (ms: number, msPerBatch: { other: number; evaluating: number }) => {
      const end = now + ms;
      let evaluating = false;
      let work = 0;
      let phaseEndsAt = now;
      for (; now < end; now++) {
        if (now >= phaseEndsAt) {
          if (evaluating) ingest.ended();
          else ingest.started();
          evaluating = !evaluating;
          phaseEndsAt = now + 300;
        }
        work += 1 / (evaluating ? msPerBatch.evaluating : msPerBatch.other);
        if (work >= 1) {
          work -= 1;
          ingest.committed(100);
        }
      }
    };
    // Evaluating stops ingest altogether: the most rest.
    run(60_000, { other: 100, evaluating: 1e9 });
    expect(ingest.estimate().rest).toBe(MAX_REST);
    // Then it no longer slows it.
    run(60_000, { other: 100, evaluating: 100 });
    expect(ingest.estimate().rest).toBeLessThan(0.5);
  });

  it('counts no batch of no keys, and none before the first to time it', () => {
    let now = 0;
    const ingest = new IngestShare({ share: 0.85, fallback: 0.5, clock: () => now });
    for (; now < 60_000; now += 100) ingest.committed(0);
    expect(ingest.estimate()).toEqual({ rest: 0.5, interference: null, share: null });
  });
});
