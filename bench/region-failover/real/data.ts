/**
 * The shop's data in region A: rows written there and waited for in region B's standby (streaming
 * replication caught up), and a last burst written right before the failure without waiting.
 */
import { DATABASE, type PrimaryRegion } from './regions.js';

export async function writeRows(a: PrimaryRegion, rows: number): Promise<void> {
  for (let from = 1; from <= rows; from += 1_000) {
    const to = Math.min(rows, from + 999);
    await a.db.sql(
      `INSERT INTO orders (id, note) SELECT g, 'order ' || g FROM generate_series($1::bigint, $2::bigint) g`,
      [from, to],
      DATABASE,
    );
  }
}

/** Until the standby has replayed everything the primary has written. */
export async function waitReplicated(a: PrimaryRegion): Promise<void> {
  const [current] = await a.db.sql<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  const lsn = current?.lsn ?? '0/0';
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await a.standby.sql<{ caught: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught', [
      lsn,
    ]);
    if (row?.caught) return;
    if (Date.now() > deadline) throw new Error(`standby did not replay ${lsn} within 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Single-row commits on A, acknowledged by A alone (asynchronous replication): ids `from` on. */
export async function writeBurst(a: PrimaryRegion, from: number, count: number): Promise<number[]> {
  const ids = Array.from({ length: count }, (_, i) => from + i);
  const writer = await a.db.client(DATABASE);
  try {
    for (const id of ids) await writer.query(`INSERT INTO orders (id, note) VALUES ($1, 'late')`, [id]);
  } finally {
    await writer.end().catch(() => undefined);
  }
  return ids;
}
