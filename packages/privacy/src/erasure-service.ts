import { randomUUID } from 'node:crypto';
import type { Logger } from '@rapport/observability';
import type { Store } from '@rapport/store';
import { eraseCustomer, resolveSubject, subjectKeys } from './erase-customer.js';
import { ErasureLedger, type ErasureRecord, type ErasureSubject } from './erasure-ledger.js';

export interface ErasureServiceDeps {
  store: Store;
  logger: Logger;
  /** Called with the erased profile keys once their rows are gone (caches drop them). */
  onErased?: (keys: string[]) => void;
  /**
   * Called with the profile keys once their new events are refused, before rows are deleted:
   * whatever writes rows of theirs in the background stops and finishes what is under way.
   */
  onSuppressed?: (keys: string[]) => Promise<void>;
  now?: () => number;
}

/**
 * Erasures run one at a time, in the order asked, in the background: a request is recorded
 * (`pending`) and answered at once; its state is read from the ledger. Unfinished erasures
 * (a crash, a store error) are run again by `resume`, which the engine calls at start-up.
 */
export class ErasureService {
  readonly ledger: ErasureLedger;
  private chain: Promise<void> = Promise.resolve();
  private readonly finished = new Map<string, Array<() => void>>();
  private readonly inFlight = new Map<string, string>();
  private readonly now: () => number;

  constructor(private readonly deps: ErasureServiceDeps) {
    this.ledger = new ErasureLedger(deps.store);
    this.now = deps.now ?? Date.now;
  }

  /**
   * Records an erasure of the customer and queues it. A request for a customer whose erasure
   * is already queued in this process answers that erasure.
   */
  async request(customerId: string): Promise<ErasureRecord> {
    const queued = this.inFlight.get(customerId);
    if (queued !== undefined) {
      const record = await this.ledger.get(queued);
      if (record) return record;
    }
    const erasureId = randomUUID();
    const requestedAt = this.now();
    await this.ledger.write({
      erasureId,
      status: 'pending',
      subject: { customerId },
      requestedAt,
      at: requestedAt,
    });
    this.enqueue({ erasureId, subject: { customerId }, requestedAt });
    const record = await this.ledger.get(erasureId);
    if (!record) throw new Error(`erasure ${erasureId} was recorded but cannot be read back`);
    return record;
  }

  get(erasureId: string): Promise<ErasureRecord | null> {
    return this.ledger.get(erasureId);
  }

  /** Resolves when the erasure has finished (done or failed) in this process, or after `ms`. */
  waitFor(erasureId: string, ms: number): Promise<void> {
    if (![...this.inFlight.values()].includes(erasureId)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      const waiters = this.finished.get(erasureId) ?? [];
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.finished.set(erasureId, waiters);
    });
  }

  /** Queues every erasure the ledger holds as not done. Returns how many. */
  async resume(): Promise<number> {
    const unfinished = await this.ledger.unfinished();
    for (const entry of unfinished) {
      if (![...this.inFlight.values()].includes(entry.erasureId)) this.enqueue(entry);
    }
    if (unfinished.length > 0) {
      this.deps.logger.warn({ erasures: unfinished.length }, 'resuming unfinished erasures');
    }
    return unfinished.length;
  }

  /** Resolves once every queued erasure has finished. */
  async drain(): Promise<void> {
    await this.chain;
  }

  private enqueue(entry: { erasureId: string; subject: ErasureSubject; requestedAt: number }) {
    this.inFlight.set(entry.subject.customerId, entry.erasureId);
    this.chain = this.chain.then(async () => {
      try {
        await this.run(entry);
      } finally {
        this.inFlight.delete(entry.subject.customerId);
        for (const wake of this.finished.get(entry.erasureId) ?? []) wake();
        this.finished.delete(entry.erasureId);
      }
    });
  }

  private async run(entry: { erasureId: string; subject: ErasureSubject; requestedAt: number }) {
    const { store, logger } = this.deps;
    const { erasureId, requestedAt } = entry;
    let known: ErasureSubject = entry.subject;
    try {
      // The anonymous ids are recorded before anything is deleted: once identity links are
      // gone they could not be found again by a resumed erasure.
      const subject = await resolveSubject(store, entry.subject);
      known = subject;
      await this.ledger.write({
        erasureId,
        status: 'running',
        subject,
        requestedAt,
        at: this.now(),
      });
      const receipt = await eraseCustomer(store, {
        erasureId,
        subject,
        now: this.now,
        onSuppressed: this.deps.onSuppressed,
      });
      await this.ledger.write({
        erasureId,
        status: 'done',
        subject: null,
        requestedAt,
        at: this.now(),
        receipt,
      });
      await this.ledger.forgetSubject(erasureId);
      this.deps.onErased?.(subjectKeys(subject));
      logger.info(
        { erasureId, rowsRemoved: receipt.rowsRemoved, seconds: receipt.seconds },
        'customer erased',
      );
    } catch (error) {
      logger.error({ err: error, erasureId }, 'erasure failed; it is resumed at the next start');
      await this.ledger
        .write({
          erasureId,
          status: 'failed',
          subject: known,
          requestedAt,
          at: this.now(),
          error: (error as Error).message,
        })
        .catch(() => undefined);
    }
  }
}
