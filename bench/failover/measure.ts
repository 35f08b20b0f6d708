/**
 * What the failover drill measures, the same way for every case: the client's outage around a
 * fault (from its own timestamped operations), replication lag from INFO on both servers, which
 * server HAProxy sends the client to, and acknowledged writes lost compared with the lag that was
 * reported before the fault.
 */
import type { WriteProbe } from '../../demo/client-load.js';
import { redisClient, sleep, waitFor } from '../../demo/real-processes.js';
import type { KillTrial } from './types.js';

export interface Outage {
  /** The client's outage around the fault: last success before it to first success after. */
  unavailabilityMs: number | null;
  faultToFirstWriteMs: number | null;
  /** Where the outage began relative to the fault (the last success before it; ≤ 0). */
  outageStartVsFaultMs: number | null;
  failedOps: number;
}

export function outageAround(probe: WriteProbe, faultAt: number): Outage {
  const first = probe.firstWriteAfter(faultAt);
  // The outage the fault caused: the one still open at the fault or opened after it, up to recovery.
  const o = probe.outages.find(
    (x) => (x.end === null || x.end >= faultAt) && x.start <= (first ?? Number.MAX_SAFE_INTEGER),
  );
  // A write in flight at the fault may still be acknowledged by the dying primary; the first write
  // on the new primary is the one that ends the outage.
  const recovered = o ? o.end : first;
  return {
    unavailabilityMs: o && o.end !== null ? o.end - o.start : first === null ? null : 0,
    faultToFirstWriteMs: recovered === null ? null : recovered - faultAt,
    outageStartVsFaultMs: o ? o.start - faultAt : null,
    failedOps: o?.failedOps ?? 0,
  };
}

/** Bytes the primary has written to its replication stream and the replica has not applied. */
export async function replicationLag(primaryPort: number, replicaPort: number): Promise<number | null> {
  try {
    const p = await redisClient(primaryPort);
    const r = await redisClient(replicaPort);
    try {
      const po = Number(/master_repl_offset:(\d+)/.exec(await p.info('replication'))?.[1] ?? Number.NaN);
      const ro = Number(/slave_repl_offset:(\d+)/.exec(await r.info('replication'))?.[1] ?? Number.NaN);
      return Number.isFinite(po) && Number.isFinite(ro) ? Math.max(0, po - ro) : null;
    } finally {
      p.disconnect();
      r.disconnect();
    }
  } catch {
    return null;
  }
}

export interface PromotionWatch {
  /** Stops polling; the time the server first answered ROLE as a primary, or null. */
  stop(): Promise<number | null>;
}

/**
 * Polls a replica's ROLE every `everyMs` until it answers `master`: the moment it was promoted as
 * its clients see it, taken the same way for every system (Sentinel's +switch-master and
 * Foreshadow's PROMOTE result both come later than the promotion itself).
 */
export async function watchPromotion(port: number, everyMs = 10): Promise<PromotionWatch> {
  let client: Awaited<ReturnType<typeof redisClient>> | null = await redisClient(port);
  let stopped = false;
  let promotedAt: number | null = null;
  const loop = (async () => {
    while (!stopped && promotedAt === null) {
      // A promotion may close the replica's client connections (Sentinel: CLIENT KILL): reconnect.
      client ??= await redisClient(port).catch(() => null);
      const role = client ? await client.call('ROLE').catch(() => null) : null;
      if (Array.isArray(role) && role[0] === 'master') {
        promotedAt = Date.now();
        break;
      }
      if (role === null) {
        client?.disconnect();
        client = null;
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      client?.disconnect();
      return promotedAt;
    },
  };
}

/**
 * Waits until HAProxy sends the client to `port` (the new primary) and a write succeeded after
 * that: the fault's outage is over. (A write acknowledged just after the kill, by the dying
 * primary, or before HAProxy's switch, does not end it.)
 */
export async function waitForRecovery(
  probe: WriteProbe,
  frontendPort: number,
  port: number,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    'the new primary to serve through HAProxy',
    async () => (await servingPort(frontendPort)) === port,
    timeoutMs,
  );
  const switchedAt = Date.now();
  await waitFor(
    'a write to succeed on the new primary',
    async () => probe.firstWriteAfter(switchedAt) !== null,
    30_000,
  );
}

/** The port of the Redis server answering behind a frontend (INFO server), or null. */
export async function servingPort(frontendPort: number): Promise<number | null> {
  try {
    const c = await redisClient(frontendPort);
    try {
      return Number(/tcp_port:(\d+)/.exec(await c.info('server'))?.[1] ?? Number.NaN);
    } finally {
      c.disconnect();
    }
  } catch {
    return null;
  }
}

/** Bytes one `SET key value` takes in the replication stream (RESP: *3 $3 SET $n key $m value). */
export function setCommandBytes(key: string, value: string): number {
  const bulk = (s: string) => 1 + String(Buffer.byteLength(s)).length + 2 + Buffer.byteLength(s) + 2;
  return 4 + bulk('SET') + bulk(key) + bulk(value);
}

export interface LostWrites {
  ackedWrites: number;
  lostAckedWrites: number;
  /** Writes the lag reported before the fault can hold at most (0 when nothing was reported). */
  lagAllowanceWrites: number;
  /** Acknowledged writes lost that the reported lag does not account for (the figure to keep at 0). */
  lostBeyondReportedLag: number;
  lostKeys: string[];
}

/**
 * Always run, whatever lag was reported: every acknowledged write is looked up on the server the
 * client now reaches, and the missing ones are compared with what the reported lag could hold
 * (its bytes over the smallest SET the client sent; a generous allowance).
 */
export async function lostWrites(probe: WriteProbe, reportedLagBytes: number | null): Promise<LostWrites> {
  const lost = await probe.lostWrites();
  let smallest = Number.POSITIVE_INFINITY;
  for (const key of probe.acked.keys()) smallest = Math.min(smallest, setCommandBytes(key, key.split(':').pop() ?? ''));
  const allowance =
    reportedLagBytes && Number.isFinite(smallest) ? Math.ceil(reportedLagBytes / Math.max(1, smallest)) : 0;
  return {
    ackedWrites: lost.checked,
    lostAckedWrites: lost.lost,
    lagAllowanceWrites: allowance,
    lostBeyondReportedLag: Math.max(0, lost.lost - allowance),
    lostKeys: lost.lostKeys.slice(0, 5),
  };
}

/**
 * A kill trial from the client's outage and the write check, plus what only the case knows; lost
 * keys, if any, are named among its notes.
 */
export function killTrial(
  out: Outage,
  lost: LostWrites,
  own: Pick<KillTrial, 'reportedLagBytes' | 'measuredLagBytesAtKill' | 'newPrimaryServing' | 'timeline' | 'notes'>,
): KillTrial {
  if (lost.lostAckedWrites > 0) own.notes.push(`lost keys e.g. ${lost.lostKeys.join(', ')}`);
  return {
    unavailabilityMs: out.unavailabilityMs,
    killToFirstWriteMs: out.faultToFirstWriteMs,
    outageStartVsKillMs: out.outageStartVsFaultMs,
    failedOps: out.failedOps,
    ackedWrites: lost.ackedWrites,
    lostAckedWrites: lost.lostAckedWrites,
    lagAllowanceWrites: lost.lagAllowanceWrites,
    lostBeyondReportedLag: lost.lostBeyondReportedLag,
    ...own,
  };
}

export interface Spread {
  median: number | null;
  min: number | null;
  max: number | null;
  n: number;
}

export function spread(values: readonly (number | null | undefined)[]): Spread {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: null, min: null, max: null, n: 0 };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? v[mid]! : Math.round((v[mid - 1]! + v[mid]!) / 2);
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}
