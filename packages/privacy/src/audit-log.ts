import { formatDateTime64, insertRowsOf, type Store } from './store-access.js';

/** One admin action: who (the key's name, never the key), what, on what, when, answer. */
export interface AuditEntry {
  at: number;
  requestId: string;
  keyName: string;
  action: string;
  target: string;
  status: number;
}

export interface AuditRecord extends Omit<AuditEntry, 'at'> {
  at: string;
}

interface Row {
  at: string;
  request_id: string;
  key_name: string;
  action: string;
  target: string;
  status: number;
}

/** The `audit_log` table: written once per admin action, read newest first. */
export class AuditLog {
  constructor(private readonly store: Store) {}

  async record(entry: AuditEntry): Promise<void> {
    await insertRowsOf(this.store, 'audit_log', [
      {
        at: formatDateTime64(entry.at),
        request_id: entry.requestId,
        key_name: entry.keyName,
        action: entry.action,
        target: entry.target,
        status: entry.status,
      },
    ]);
  }

  /** Newest first; `before` (epoch ms) pages back, `action` filters. */
  async list(options: { limit: number; before?: number; action?: string }): Promise<AuditRecord[]> {
    const where = [
      ...(options.before === undefined
        ? []
        : ["at < fromUnixTimestamp64Milli({before:Int64}, 'UTC')"]),
      ...(options.action === undefined ? [] : ['action = {action:String}']),
    ];
    const rows = await this.store.query<Row>(
      `SELECT at, request_id, key_name, action, target, status FROM audit_log
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY at DESC, request_id LIMIT {limit:UInt32}`,
      { limit: options.limit, before: options.before, action: options.action },
    );
    return rows.map((row) => ({
      at: new Date(`${row.at.replace(' ', 'T')}Z`).toISOString(),
      requestId: row.request_id,
      keyName: row.key_name,
      action: row.action,
      target: row.target,
      status: Number(row.status),
    }));
  }
}
