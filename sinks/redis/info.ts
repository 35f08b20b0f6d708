/** Pure parsing of Redis `INFO replication` and the replication-lag arithmetic. */

export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

/** `slave0:ip=127.0.0.1,port=7001,state=online,offset=123,lag=0` → its fields. */
export function parseReplicaLine(value: string): Map<string, string> {
  return new Map(
    value.split(',').map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i), kv.slice(i + 1)] as [string, string];
    }),
  );
}

export interface SyncState {
  linkUp: boolean;
  syncing: boolean;
  primaryOffset: number;
  replicaOffset: number;
  lagBytes: number;
  /** Seconds since the primary last heard from this replica, in ms; null if the primary does not list it. */
  lagMs: number | null;
}

export function syncState(primary: Map<string, string>, replica: Map<string, string>, replicaPort: number): SyncState {
  const primaryOffset = Number(primary.get('master_repl_offset') ?? 0);
  const replicaOffset = Number(replica.get('slave_repl_offset') ?? replica.get('master_repl_offset') ?? 0);
  const linkUp = replica.get('master_link_status') === 'up';
  const syncing = replica.get('master_sync_in_progress') === '1';
  let lagMs: number | null = null;
  for (const [k, v] of primary) {
    if (!/^slave\d+$/.test(k)) continue;
    const f = parseReplicaLine(v);
    if (Number(f.get('port')) === replicaPort) lagMs = Number(f.get('lag') ?? 0) * 1000;
  }
  const lagBytes = linkUp && !syncing ? Math.max(0, primaryOffset - replicaOffset) : Math.max(primaryOffset, 1);
  return { linkUp, syncing, primaryOffset, replicaOffset, lagBytes, lagMs };
}
