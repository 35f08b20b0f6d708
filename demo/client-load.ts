/**
 * A Redis client writing and reading continuously through HAProxy: the demo's "traffic", and the
 * drills' measuring instrument. Every write is a unique key; a write counts as acknowledged only
 * when the server answered OK. Each operation is timestamped so outages (the span between the last
 * success before a failure and the first success after it) are measured, not inferred, and the
 * server answering (its port, from INFO) shows where traffic went.
 */
import { Redis } from 'ioredis';

export interface OpRecord {
  t: number;
  ok: boolean;
  kind: 'write' | 'read';
  /** Why a failed op failed (the client's error message). */
  error?: string;
}

export interface Outage {
  start: number;
  end: number | null;
  failedOps: number;
  /** The server's port as asked right after the outage ended (null until the answer is in). */
  servedAfter: number | null;
}

export interface WriteProbeOptions {
  port: number;
  host?: string;
  /** Pause between operations. */
  pauseMs?: number;
  /** A command not answered within this is a failure. */
  commandTimeoutMs?: number;
  keyPrefix?: string;
  /** Every n-th operation is a read of a recent acknowledged key. */
  readEvery?: number;
}

export class WriteProbe {
  readonly ops: OpRecord[] = [];
  /** Acknowledged writes: key → ack time. */
  readonly acked = new Map<string, number>();
  readonly outages: Outage[] = [];
  servedBy = 0;
  private n = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly client: Redis;
  private readonly o: Required<WriteProbeOptions>;

  constructor(options: WriteProbeOptions) {
    this.o = {
      host: '127.0.0.1',
      pauseMs: 5,
      commandTimeoutMs: 250,
      keyPrefix: `probe:${Date.now()}`,
      readEvery: 4,
      ...options,
    };
    this.client = new Redis({
      host: this.o.host,
      port: this.o.port,
      lazyConnect: true,
      // Fail fast: no queueing while disconnected, no transparent retries that would hide an outage.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: this.o.commandTimeoutMs,
      connectTimeout: 500,
      retryStrategy: () => 20,
      enableReadyCheck: false,
    });
    this.client.on('error', () => undefined);
    for (const ev of ['connect', 'ready', 'close', 'reconnecting', 'end'] as const)
      this.client.on(ev, () => this.connectionEvents.push({ t: Date.now(), event: ev }));
  }

  /** The client's connection events (connect, ready, close, reconnecting, end), for post-mortems. */
  readonly connectionEvents: { t: number; event: string }[] = [];

  private record(ok: boolean, kind: OpRecord['kind'], err?: unknown): void {
    const t = Date.now();
    this.ops.push(ok ? { t, ok, kind } : { t, ok, kind, error: err instanceof Error ? err.message : String(err) });
    const open = this.outages[this.outages.length - 1];
    if (!ok && (!open || open.end !== null)) {
      const lastOk = [...this.ops].reverse().find((o) => o.ok);
      this.outages.push({ start: lastOk?.t ?? t, end: null, failedOps: 1, servedAfter: null });
    } else if (!ok && open) open.failedOps++;
    else if (ok && open && open.end === null) {
      open.end = t;
      // Who serves now: the periodic refresh (every 200 ops) may still hold the dead server's port.
      void this.refreshServer().then(() => {
        open.servedAfter = this.servedBy;
      });
    }
  }

  async start(): Promise<void> {
    this.running = true;
    await this.client.connect().catch(() => undefined);
    this.loop = (async () => {
      while (this.running) {
        const i = this.n++;
        if (i % this.o.readEvery === this.o.readEvery - 1 && this.acked.size > 0) {
          try {
            await this.client.get(`${this.o.keyPrefix}:${i - 1}`);
            this.record(true, 'read');
          } catch (err: unknown) {
            this.record(false, 'read', err);
          }
        } else {
          const key = `${this.o.keyPrefix}:${i}`;
          try {
            const r = await this.client.set(key, String(i));
            if (r !== 'OK') throw new Error(String(r));
            this.acked.set(key, Date.now());
            this.record(true, 'write');
          } catch (err: unknown) {
            this.record(false, 'write', err);
          }
        }
        if (i % 200 === 0) void this.refreshServer();
        await new Promise((r) => setTimeout(r, this.o.pauseMs));
      }
    })();
  }

  private async refreshServer(): Promise<void> {
    try {
      const info = await this.client.info('server');
      const m = /tcp_port:(\d+)/.exec(info);
      if (m) this.servedBy = Number(m[1]);
    } catch {
      // Unknown while the backend is down; the next refresh will tell.
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.client.disconnect();
  }

  /** First successful write at or after `t` (ms), or null. */
  firstWriteAfter(t: number): number | null {
    return this.ops.find((o) => o.t >= t && o.ok && o.kind === 'write')?.t ?? null;
  }

  /** Acknowledged keys missing now on the server behind `port` (a fresh connection). */
  async lostWrites(
    port = this.o.port,
    host = this.o.host,
  ): Promise<{ lost: number; checked: number; lostKeys: string[] }> {
    const c = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    await c.connect();
    try {
      const keys = [...this.acked.keys()];
      const lostKeys: string[] = [];
      for (let i = 0; i < keys.length; i += 500) {
        const chunk = keys.slice(i, i + 500);
        const values = await c.mget(...chunk);
        values.forEach((v, k) => {
          if (v === null) lostKeys.push(chunk[k]!);
        });
      }
      return { lost: lostKeys.length, checked: keys.length, lostKeys };
    } finally {
      c.disconnect();
    }
  }
}
