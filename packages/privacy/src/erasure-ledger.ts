import { formatDateTime64, insertRowsOf, type Store } from './store-access.js';

export type ErasureStatus = 'pending' | 'running' | 'done' | 'failed';

/** What an erasure removed: no personal data, only tables and counts. */
export interface ErasureReceipt {
  tables: { table: string; rows: number }[];
  rowsRemoved: number;
  /** Profile keys put on the suppression list (as hashes). */
  keysSuppressed: number;
  seconds: number;
}

/** Whom an erasure is about; held only until the erasure is done. */
export interface ErasureSubject {
  customerId: string;
  /** Known once the erasure has begun: the anonymous ids the customer owned. */
  anonymousIds?: string[];
}

export interface ErasureRecord {
  erasureId: string;
  status: ErasureStatus;
  requestedAt: string;
  updatedAt: string;
  receipt: ErasureReceipt | null;
  error: string | null;
}

interface Row {
  erasure_id: string;
  status: ErasureStatus;
  subject: string;
  requested_at: string;
  updated_at: string;
  receipt: string;
  error: string;
}

const iso = (value: string) => new Date(`${value.replace(' ', 'T')}Z`).toISOString();

function recordOf(row: Row): ErasureRecord {
  return {
    erasureId: row.erasure_id,
    status: row.status,
    requestedAt: iso(row.requested_at),
    updatedAt: iso(row.updated_at),
    receipt: row.receipt === '' ? null : (JSON.parse(row.receipt) as ErasureReceipt),
    error: row.error === '' ? null : row.error,
  };
}

/** The `erasures` table: one row per state of an erasure, the newest is its state. */
export class ErasureLedger {
  constructor(private readonly store: Store) {}

  async write(input: {
    erasureId: string;
    status: ErasureStatus;
    subject: ErasureSubject | null;
    requestedAt: number;
    at: number;
    receipt?: ErasureReceipt;
    error?: string;
  }): Promise<void> {
    await insertRowsOf(this.store, 'erasures', [
      {
        erasure_id: input.erasureId,
        status: input.status,
        subject: input.subject === null ? '' : JSON.stringify(input.subject),
        requested_at: formatDateTime64(input.requestedAt),
        updated_at: formatDateTime64(input.at),
        receipt: input.receipt === undefined ? '' : JSON.stringify(input.receipt),
        error: input.error ?? '',
      },
    ]);
  }

  /** Deletes the rows of an erasure that still name its subject (once it is done). */
  async forgetSubject(erasureId: string): Promise<void> {
    const target =
      this.store.cluster === undefined
        ? 'erasures'
        : `${this.store.database}.erasures_local ON CLUSTER ${this.store.cluster}`;
    await this.store.command(
      `ALTER TABLE ${target} DELETE WHERE erasure_id = {erasureId:String} AND subject != ''
       SETTINGS mutations_sync = 2`,
      { erasureId },
    );
  }

  private async latest(where: string, params: Record<string, unknown>) {
    return this.store.query<Row>(
      `SELECT erasure_id, argMax(e.status, e.updated_at) AS status,
              argMax(e.subject, e.updated_at) AS subject, min(e.requested_at) AS requested_at,
              max(e.updated_at) AS updated_at, argMax(e.receipt, e.updated_at) AS receipt,
              argMax(e.error, e.updated_at) AS error
       FROM erasures AS e ${where} GROUP BY erasure_id ORDER BY requested_at, erasure_id`,
      params,
    );
  }

  async get(erasureId: string): Promise<ErasureRecord | null> {
    const [row] = await this.latest('WHERE e.erasure_id = {erasureId:String}', { erasureId });
    return row === undefined ? null : recordOf(row);
  }

  /** Erasures not finished, with their subject and when they were asked for: to resume. */
  async unfinished(): Promise<
    { erasureId: string; subject: ErasureSubject; requestedAt: number }[]
  > {
    const rows = await this.latest('', {});
    return rows
      .filter((row) => row.status !== 'done' && row.subject !== '')
      .map((row) => ({
        erasureId: row.erasure_id,
        subject: JSON.parse(row.subject) as ErasureSubject,
        requestedAt: Date.parse(iso(row.requested_at)),
      }));
  }
}
