/**
 * The rest after each streaming evaluation, set from what evaluating costs ingest here.
 *
 * Ingest is watched as it commits: the keys of each committed batch were ingested since the
 * batch before it (up to SPAN_CAP_MS; under a steady load, while its insert ran), a span of
 * which some milliseconds fell during evaluations (E) and the others not (O). Taking each
 * batch's keys as r_e × E + r_o × O, a least-squares fit over the batches gives the pace while
 * evaluating (r_e) and while not (r_o), and 1 - r_e / r_o the share of its pace ingest loses
 * while an evaluation runs (`interference`: 0 under a light load, or where evaluation only
 * uses cores ingest leaves idle). Evaluating a share d of the time leaves ingest 1 - d ×
 * interference of its rate; the rest is set so that this stays at `share`. Where ingest keeps
 * its pace while evaluating, the rest shrinks to MIN_REST and changes come sooner; where each
 * evaluation slows it, the rest grows (at most MAX_REST).
 *
 * The sums of the fit decay exponentially (time constant DECAY_MS), so that the rest follows
 * a load or a machine that changes. Until enough has been seen (and when nothing is
 * ingested), the rest is `fallback`.
 */

/** The least rest, as a share of an evaluation's time: some rest is always there to measure. */
export const MIN_REST = 0.1;
export const MAX_REST = 4;
/** A batch's keys are spread over at most this much time before it (the rest is idle). */
const SPAN_CAP_MS = 1_000;
const DECAY_MS = 10_000;
/** Decayed ms of each kind (evaluating, not) and batches seen before the paces are trusted. */
const ENOUGH = { evaluatingMs: 1_000, otherMs: 500, batches: 10 };
/** Evaluation windows kept: enough to cover the span of any commit. */
const KEPT_WINDOWS = 64;

export interface IngestShareEstimate {
  /** The rest as a share of an evaluation's time. */
  rest: number;
  /** Share of its rate ingest loses while an evaluation runs (0-1); null until known. */
  interference: number | null;
  /** Ingest's rate at the measured share of time spent evaluating, against none; null until known. */
  share: number | null;
}

export class IngestShare {
  /** Evaluation windows, oldest first: [start, end], end null while running. */
  private windows: { start: number; end: number | null }[] = [];
  private lastCommit: number | null = null;
  /** The decayed sums of the fit: E², E·O, O², E·keys, O·keys, E, O, and the batches. */
  private sums = { ee: 0, eo: 0, oo: 0, ek: 0, ok: 0, e: 0, o: 0, batches: 0 };
  private decayedAt: number;

  constructor(
    private readonly options: {
      /** The share of ingest's rate to keep (0-1). */
      share: number;
      /** The rest until the rates are known. */
      fallback: number;
      /** performance.now() unless tests say. */
      clock?: () => number;
    },
  ) {
    this.decayedAt = this.now();
  }

  /** An evaluation starts now. */
  started(): void {
    this.windows.push({ start: this.now(), end: null });
    if (this.windows.length > KEPT_WINDOWS) this.windows.shift();
  }

  /** The evaluation started last ended now. */
  ended(): void {
    const last = this.windows.at(-1);
    if (last !== undefined && last.end === null) last.end = this.now();
  }

  /** A batch of `keys` customer keys was committed now. */
  committed(keys: number): void {
    const at = this.now();
    const previous = this.lastCommit;
    this.lastCommit = at;
    if (previous === null || keys <= 0) return;
    const from = Math.max(previous, at - SPAN_CAP_MS);
    const span = at - from;
    if (span <= 0) return;
    this.decay(at);
    const e = this.overlap(from, at);
    const o = span - e;
    const sums = this.sums;
    sums.ee += e * e;
    sums.eo += e * o;
    sums.oo += o * o;
    sums.ek += e * keys;
    sums.ok += o * keys;
    sums.e += e;
    sums.o += o;
    sums.batches++;
  }

  estimate(): IngestShareEstimate {
    this.decay(this.now());
    const { ee, eo, oo, ek, ok, e, o, batches } = this.sums;
    const det = ee * oo - eo * eo;
    const unknown = { rest: this.options.fallback, interference: null, share: null };
    // Too little seen, or spans too alike to tell the two paces apart.
    if (e < ENOUGH.evaluatingMs || o < ENOUGH.otherMs || batches < ENOUGH.batches) return unknown;
    if (det <= 1e-3 * ee * oo) return unknown;
    const evaluatingPace = (ek * oo - ok * eo) / det;
    const otherPace = (ok * ee - ek * eo) / det;
    if (otherPace <= 0) return unknown;
    const interference = Math.min(1, Math.max(0, 1 - evaluatingPace / otherPace));
    const loss = 1 - this.options.share;
    // The largest share of time evaluating that keeps the loss within bounds.
    const duty = interference <= loss ? 1 : loss / interference;
    const rest = Math.min(MAX_REST, Math.max(MIN_REST, (1 - duty) / duty));
    return { rest, interference, share: 1 - (e / (e + o)) * interference };
  }

  private now(): number {
    return (this.options.clock ?? (() => performance.now()))();
  }

  /** Milliseconds of [from, to] during an evaluation. */
  private overlap(from: number, to: number): number {
    let total = 0;
    for (const window of this.windows) {
      const end = window.end ?? to;
      total += Math.max(0, Math.min(end, to) - Math.max(window.start, from));
    }
    return total;
  }

  private decay(at: number): void {
    const factor = Math.exp(-(at - this.decayedAt) / DECAY_MS);
    this.decayedAt = at;
    for (const name of Object.keys(this.sums) as (keyof IngestShare['sums'])[]) {
      this.sums[name] *= factor;
    }
  }
}
