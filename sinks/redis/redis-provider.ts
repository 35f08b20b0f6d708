/**
 * Redis actuator. A shadow of a Redis primary is a redis-server on the target host started as a
 * read-only replica of the primary (never in the load-balancer pool until REDIRECT). This provider
 * runs on the target host (one process or consumer group per host it serves: see `hosts`), starts
 * the server from a generated config file, reports replication lag until the shadow is in sync,
 * promotes it, fences the old primary, and stops it on RETIRE.
 *
 * Fencing the old primary: it is paused for writes (`CLIENT PAUSE WRITE`), the shadow catches up
 * to its final offset (no acknowledged write is lost), the shadow is promoted, and the old primary
 * becomes a read-only replica of the new one, so every later write to it fails with READONLY.
 * When it cannot become a replica (FENCE without a new primary), `min-replicas-to-write` is set
 * beyond any replica count, so writes fail with NOREPLICAS.
 *
 * After a crash between acting and recording (`reconcile`), every verb's effect is read back from
 * the servers themselves (INFO replication, CONFIG GET, is the port up) rather than re-applied: a
 * shadow already replicating the primary, a shadow already primary with the old one its replica,
 * an old primary already fenced, a shadow already gone. A promotion interrupted half-way (shadow
 * primary, old primary not yet demoted) is finished by PROMOTE without promoting twice.
 *
 * Credentials: the password is read from the environment variable named by `passwordEnv`; it goes
 * into a mode-0600 config file and AUTH, never into argv (visible in ps) or logs.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { describeError } from '../../streams/runtime/errors.js';
import { formatHostPort, type HostPort, parseHostPort } from '../framework/address.js';
import { permanentError, transientError } from '../framework/errors.js';
import { sleep } from '../framework/retry.js';
import type { ActuationContext, ActuatorCommand, FailoverCommand, Outcome, ShadowCommand } from '../framework/types.js';
import type { RegionMember } from '../region/region-provider.js';
import { parseInfo, type SyncState, syncState } from './info.js';
import { regionInstancesSchema } from './region-instances.js';
import { RedisRegionLaunch } from './region-launch.js';

const run = promisify(execFile);

/** A redis.conf double-quoted string (backslash escapes), so any password survives the file. */
function quoteConf(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export const redisProviderOptionsSchema = z.object({
  name: z.string().default('redis'),
  /** Command `kind`s this provider handles. */
  kinds: z.array(z.string()).default(['redis']),
  /**
   * Hosts this instance can start shadows on (on one machine: several "hosts" as ports/dirs).
   * Commands whose targetHost is elsewhere are left to the instance running there.
   */
  hosts: z
    .record(z.string(), z.object({ bindAddress: z.string().default('127.0.0.1'), dataRoot: z.string().min(1) }))
    .default({}),
  redisServer: z.string().default('redis-server'),
  /** Environment variable holding the Redis password (primaries and shadows share it). */
  passwordEnv: z.string().optional(),
  /** How long CREATE waits for the initial sync before answering IN_PROGRESS. */
  syncTimeoutMs: z.number().int().positive().default(60_000),
  pollIntervalMs: z.number().int().positive().default(250),
  /** Lag at or below which the shadow counts as in sync. */
  inSyncLagBytes: z.number().int().min(0).default(0),
  connectTimeoutMs: z.number().int().positive().default(2_000),
  /** Upper bound of the write pause on the old primary during promotion. */
  promotePauseMs: z.number().int().positive().default(10_000),
  /**
   * Region failover: service → shadow region → where that service's instances run there
   * (instance i listens on `port + i`). A LAUNCH_LEVEL with provisionOnly writes each instance's
   * configuration and data directory; the service's own LAUNCH_LEVEL starts them.
   */
  regionServices: z.record(z.string(), z.record(z.string(), regionInstancesSchema)).default({}),
});
export type RedisProviderOptions = z.input<typeof redisProviderOptionsSchema>;

type Resolved = z.infer<typeof redisProviderOptionsSchema>;

export class RedisProvider implements RegionMember {
  readonly name: string;
  private readonly o: Resolved;

  private readonly region: RedisRegionLaunch;

  constructor(options: RedisProviderOptions) {
    this.o = redisProviderOptionsSchema.parse(options);
    this.name = this.o.name;
    this.region = new RedisRegionLaunch(this.o.regionServices, {
      redisServer: this.o.redisServer,
      quotedPassword: () => {
        const pw = this.password();
        return pw === undefined ? undefined : quoteConf(pw);
      },
      reachable: (a) => this.reachable(a),
    });
  }

  ownsService(service: string, region: string): boolean {
    return this.o.regionServices[service]?.[region] !== undefined;
  }

  accepts(c: ActuatorCommand): boolean {
    if (c.source === 'failover') {
      const cmd = c.command;
      return cmd.type === 'LAUNCH_LEVEL' && cmd.services.some((s) => this.ownsService(s.service, cmd.shadowRegion));
    }
    if (!this.o.kinds.includes(c.command.kind)) return false;
    // Every verb is carried out by the instance serving the shadow's (target) host: it starts and
    // stops the process, and with one agent per host only one of them acts on a PROMOTE or FENCE.
    return Object.hasOwn(this.o.hosts, c.command.targetHost);
  }

  private password(): string | undefined {
    if (!this.o.passwordEnv) return undefined;
    const pw = process.env[this.o.passwordEnv];
    if (!pw) throw permanentError(`environment variable ${this.o.passwordEnv} (Redis password) is not set`);
    return pw;
  }

  private async connect(a: HostPort): Promise<Redis> {
    const client = new Redis({
      host: a.host,
      port: a.port,
      password: this.password(),
      lazyConnect: true,
      connectTimeout: this.o.connectTimeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    // Errors surface through the awaited calls; the event would otherwise crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (err: unknown) {
      client.disconnect();
      throw transientError(`cannot reach redis at ${formatHostPort(a)}: ${describeError(err)}`, {}, err);
    }
  }

  private async withClient<T>(a: HostPort, fn: (r: Redis) => Promise<T>): Promise<T> {
    const r = await this.connect(a);
    try {
      return await fn(r);
    } finally {
      r.disconnect();
    }
  }

  private async reachable(a: HostPort): Promise<Redis | undefined> {
    try {
      return await this.connect(a);
    } catch {
      return undefined;
    }
  }

  private async measure(primary: HostPort, shadow: HostPort): Promise<SyncState> {
    const replicaInfo = await this.withClient(shadow, (r) => r.info('replication'));
    const primaryInfo = await this.withClient(primary, (r) => r.info('replication'));
    return syncState(parseInfo(primaryInfo), parseInfo(replicaInfo), shadow.port);
  }

  private shadowDir(cmd: ShadowCommand, shadow: HostPort): string {
    const host = this.o.hosts[cmd.targetHost];
    if (!host) throw permanentError(`target host ${cmd.targetHost} is not served by this actuator`);
    const safe = cmd.resourceId.replace(/[^A-Za-z0-9._-]/g, '_');
    return resolve(host.dataRoot, `${safe}-${shadow.port}`);
  }

  private addresses(cmd: ShadowCommand): { primary: HostPort; shadow: HostPort } {
    if (!cmd.primaryAddress) throw permanentError('primaryAddress is required');
    if (!cmd.targetAddress) throw permanentError('targetAddress (host:port of the shadow) is required');
    return {
      primary: parseHostPort(cmd.primaryAddress, 'primaryAddress', 6379),
      shadow: parseHostPort(cmd.targetAddress, 'targetAddress'),
    };
  }

  async createShadow(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    const { primary, shadow } = this.addresses(cmd);
    const dir = this.shadowDir(cmd, shadow);
    const existing = await this.reachable(shadow);
    if (existing) {
      // Idempotent re-run: the server is up; make sure it replicates the right primary.
      try {
        const info = parseInfo(await existing.info('replication'));
        const ours = await readFile(join(dir, 'redis.pid'), 'utf8').then(
          () => true,
          () => false,
        );
        if (!ours && info.get('role') !== 'slave') {
          throw permanentError(`${formatHostPort(shadow)} already runs a redis primary not started by Foreshadow`);
        }
        await existing.call('REPLICAOF', primary.host, String(primary.port));
      } finally {
        existing.disconnect();
      }
    } else {
      await this.startServer(dir, shadow, primary, this.o.hosts[cmd.targetHost]?.bindAddress ?? shadow.host);
    }
    return this.waitForSync(primary, shadow, ctx);
  }

  /** `bind` may differ from the advertised targetAddress (NAT, a namespace's own address, 0.0.0.0). */
  private async startServer(dir: string, shadow: HostPort, primary: HostPort, bind: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const pw = this.password();
    const conf = [
      `port ${shadow.port}`,
      `bind ${bind}`,
      `dir ${dir}`,
      'daemonize yes',
      `pidfile ${join(dir, 'redis.pid')}`,
      `logfile ${join(dir, 'redis.log')}`,
      `replicaof ${primary.host} ${primary.port}`,
      'replica-read-only yes',
      // A shadow is passive: it persists nothing of its own until promoted.
      'save ""',
      'appendonly no',
      ...(pw ? [`requirepass ${quoteConf(pw)}`, `masterauth ${quoteConf(pw)}`] : []),
    ].join('\n');
    const file = join(dir, 'redis.conf');
    await writeFile(file, `${conf}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    try {
      await run(this.o.redisServer, [file], { timeout: 10_000 });
    } catch (err: unknown) {
      throw transientError(`redis-server failed to start on ${formatHostPort(shadow)}: ${describeError(err)}`, {}, err);
    }
    const deadline = Date.now() + 10_000;
    for (;;) {
      const c = await this.reachable(shadow);
      if (c) {
        c.disconnect();
        return;
      }
      if (Date.now() > deadline) throw transientError(`redis-server on ${formatHostPort(shadow)} did not come up`);
      await sleep(100);
    }
  }

  private async waitForSync(primary: HostPort, shadow: HostPort, ctx: ActuationContext): Promise<Outcome> {
    const deadline = Date.now() + this.o.syncTimeoutMs;
    let lastReport = 0;
    let state = await this.measure(primary, shadow);
    while (!(state.linkUp && !state.syncing && state.lagBytes <= this.o.inSyncLagBytes)) {
      if (Date.now() > deadline) {
        return {
          status: 'IN_PROGRESS',
          address: formatHostPort(shadow),
          lagBytes: state.lagBytes,
          lagMs: state.lagMs,
          detail: state.linkUp ? 'replicating, not yet in sync' : 'replication link down',
        };
      }
      if (Date.now() - lastReport >= 1_000) {
        lastReport = Date.now();
        await ctx.progress({
          address: formatHostPort(shadow),
          lagBytes: state.lagBytes,
          lagMs: state.lagMs,
          detail: state.syncing ? 'initial sync' : 'catching up',
        });
      }
      await sleep(this.o.pollIntervalMs, ctx.signal);
      state = await this.measure(primary, shadow);
    }
    return {
      address: formatHostPort(shadow),
      lagBytes: state.lagBytes,
      lagMs: state.lagMs,
      detail: `in sync at offset ${state.replicaOffset}`,
    };
  }

  async reportSync(cmd: ShadowCommand): Promise<Outcome> {
    const { primary, shadow } = this.addresses(cmd);
    const s = await this.measure(primary, shadow);
    const inSync = s.linkUp && !s.syncing && s.lagBytes <= this.o.inSyncLagBytes;
    return {
      address: formatHostPort(shadow),
      lagBytes: s.lagBytes,
      lagMs: s.lagMs,
      detail: inSync ? 'in sync' : s.linkUp ? 'lagging' : 'replication link down',
    };
  }

  async promote(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    const { primary, shadow } = this.addresses(cmd);
    const pw = this.password();
    const old = await this.reachable(primary);
    const next = await this.connect(shadow);
    try {
      if (!old) {
        await next.call('REPLICAOF', 'NO', 'ONE');
        await this.persist(next);
        return {
          address: formatHostPort(shadow),
          detail: 'promoted; old primary unreachable and NOT fenced: send FENCE when it returns',
        };
      }
      try {
        const oldRole = parseInfo(await old.info('replication')).get('role');
        const nextRole = parseInfo(await next.info('replication')).get('role');
        if (oldRole === 'slave' && nextRole === 'master') {
          return { address: formatHostPort(shadow), detail: 'already promoted; old primary already fenced' };
        }
        if (nextRole === 'master') {
          // An earlier run promoted the shadow and died before demoting the old primary: finish
          // the fencing only (the shadow no longer replicates, so there is nothing to catch up;
          // writes the old primary took once that run's pause expired are dropped by its resync).
          await this.demote(old, shadow, pw);
          await old.call('CLIENT', 'UNPAUSE');
          return {
            address: formatHostPort(shadow),
            detail: 'promotion resumed: old primary fenced (read-only replica of the new primary)',
          };
        }
        // 1. Stop writes on the old primary; 2. let the shadow reach its final offset.
        await old.call('CLIENT', 'PAUSE', String(this.o.promotePauseMs), 'WRITE');
        const target = Number(parseInfo(await old.info('replication')).get('master_repl_offset') ?? 0);
        const deadline = Date.now() + this.o.promotePauseMs / 2;
        for (;;) {
          const info = parseInfo(await next.info('replication'));
          if (Number(info.get('slave_repl_offset') ?? 0) >= target) break;
          if (Date.now() > deadline) {
            await old.call('CLIENT', 'UNPAUSE');
            throw transientError('shadow did not reach the old primary offset during the write pause', { target });
          }
          await sleep(20, ctx.signal);
        }
        // 3. Promote; 4. demote the old primary to a read-only replica of the new one.
        await next.call('REPLICAOF', 'NO', 'ONE');
        await this.persist(next);
        await this.demote(old, shadow, pw);
        await old.call('CLIENT', 'UNPAUSE');
        return {
          address: formatHostPort(shadow),
          lagBytes: 0,
          detail: `promoted at offset ${target}; old primary fenced (read-only replica of the new primary)`,
        };
      } finally {
        old.disconnect();
      }
    } finally {
      next.disconnect();
    }
  }

  /** Makes `old` a read-only replica of `next`: every later write to it fails with READONLY. */
  private async demote(old: Redis, next: HostPort, pw: string | undefined): Promise<void> {
    await old.call('CONFIG', 'SET', 'replica-read-only', 'yes');
    if (pw) await old.call('CONFIG', 'SET', 'masterauth', pw);
    await old.call('REPLICAOF', next.host, String(next.port));
    await this.persist(old);
  }

  /** CONFIG REWRITE so a restart keeps the role; servers started without a config file cannot, which is fine. */
  private async persist(r: Redis): Promise<void> {
    try {
      await r.call('CONFIG', 'REWRITE');
    } catch {
      // no config file: the role holds until restart, which is all fencing can promise there
    }
  }

  async fence(cmd: ShadowCommand): Promise<Outcome> {
    if (!cmd.primaryAddress) throw permanentError('primaryAddress (the instance to fence) is required');
    const old = parseHostPort(cmd.primaryAddress, 'primaryAddress', 6379);
    const pw = this.password();
    return this.withClient(old, async (r) => {
      if (cmd.targetAddress) {
        const next = parseHostPort(cmd.targetAddress, 'targetAddress');
        await this.demote(r, next, pw);
        return { detail: `fenced: read-only replica of ${formatHostPort(next)}` };
      }
      await r.call('CONFIG', 'SET', 'min-replicas-to-write', '2147483647');
      await r.call('CONFIG', 'SET', 'min-replicas-max-lag', '1');
      await this.persist(r);
      return { detail: 'fenced: writes refused (min-replicas-to-write unreachable)' };
    });
  }

  async retire(cmd: ShadowCommand): Promise<Outcome> {
    if (!cmd.targetAddress) throw permanentError('targetAddress (the shadow to retire) is required');
    const shadow = parseHostPort(cmd.targetAddress, 'targetAddress');
    const dir = this.shadowDir(cmd, shadow);
    const r = await this.reachable(shadow);
    if (r) {
      try {
        const role = parseInfo(await r.info('replication')).get('role');
        if (role !== 'slave' && cmd.config['redis.force'] !== 'true') {
          throw permanentError(
            `${formatHostPort(shadow)} is a primary; refusing to retire it without redis.force=true`,
          );
        }
        await r.call('SHUTDOWN', 'NOSAVE').catch(() => undefined); // the reply is the connection closing
      } finally {
        r.disconnect();
      }
      const deadline = Date.now() + 10_000;
      for (;;) {
        const still = await this.reachable(shadow);
        if (!still) break;
        still.disconnect();
        if (Date.now() > deadline) throw transientError(`redis at ${formatHostPort(shadow)} did not stop`);
        await sleep(100);
      }
    }
    await rm(dir, { recursive: true, force: true });
    return { address: formatHostPort(shadow), detail: r ? 'shadow stopped and removed' : 'already stopped; removed' };
  }

  /** Region failover: see `regionServices` (region-launch.ts). Other steps have nothing to do with Redis. */
  failoverStep(cmd: FailoverCommand, _ctx: ActuationContext): Promise<Outcome> {
    return this.region.step(cmd);
  }

  /** Look, never act: is the interrupted command's effect already in place? (See the module comment.) */
  async reconcile(c: ActuatorCommand, ctx: ActuationContext): Promise<Outcome | undefined> {
    if (c.source === 'failover') return this.region.observe(c.command);
    const cmd = c.command;
    switch (cmd.type) {
      case 'CREATE':
        return this.observeShadow(cmd, ctx);
      case 'PROMOTE':
        return this.observePromotion(cmd);
      case 'FENCE':
        return this.observeFence(cmd);
      case 'RETIRE':
        return this.observeRetired(cmd);
      default:
        // REPORT_SYNC only reads: running it again is the observation.
        return undefined;
    }
  }

  /** INFO replication of `a`, or undefined when it does not answer. */
  private async replication(a: HostPort): Promise<Map<string, string> | undefined> {
    const r = await this.reachable(a);
    if (!r) return undefined;
    try {
      return parseInfo(await r.info('replication'));
    } finally {
      r.disconnect();
    }
  }

  private static replicaOf(info: Map<string, string> | undefined, a: HostPort): boolean {
    return (
      info?.get('role') === 'slave' && info.get('master_host') === a.host && Number(info.get('master_port')) === a.port
    );
  }

  private async observeShadow(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome | undefined> {
    const { primary, shadow } = this.addresses(cmd);
    if (!RedisProvider.replicaOf(await this.replication(shadow), primary)) return undefined;
    // Started and replicating the right primary: what is left is watching it sync.
    return this.waitForSync(primary, shadow, ctx);
  }

  private async observePromotion(cmd: ShadowCommand): Promise<Outcome | undefined> {
    const { primary, shadow } = this.addresses(cmd);
    const next = await this.replication(shadow);
    if (next?.get('role') !== 'master') return undefined;
    const old = await this.replication(primary);
    if (!old) {
      return {
        address: formatHostPort(shadow),
        detail: 'promoted; old primary unreachable and NOT fenced: send FENCE when it returns',
      };
    }
    // Old primary still a primary: promoted but not fenced yet; PROMOTE finishes it.
    if (!RedisProvider.replicaOf(old, shadow)) return undefined;
    return {
      address: formatHostPort(shadow),
      lagBytes: 0,
      detail: 'promoted; old primary fenced (read-only replica of the new primary)',
    };
  }

  private async observeFence(cmd: ShadowCommand): Promise<Outcome | undefined> {
    if (!cmd.primaryAddress) return undefined;
    const old = parseHostPort(cmd.primaryAddress, 'primaryAddress', 6379);
    if (cmd.targetAddress) {
      const next = parseHostPort(cmd.targetAddress, 'targetAddress');
      if (!RedisProvider.replicaOf(await this.replication(old), next)) return undefined;
      return { detail: `fenced: read-only replica of ${formatHostPort(next)}` };
    }
    const r = await this.reachable(old);
    if (!r) return undefined;
    try {
      const reply = await r.call('CONFIG', 'GET', 'min-replicas-to-write');
      const value = Array.isArray(reply) ? String(reply[1]) : '';
      return value === '2147483647'
        ? { detail: 'fenced: writes refused (min-replicas-to-write unreachable)' }
        : undefined;
    } finally {
      r.disconnect();
    }
  }

  private async observeRetired(cmd: ShadowCommand): Promise<Outcome | undefined> {
    if (!cmd.targetAddress) return undefined;
    const shadow = parseHostPort(cmd.targetAddress, 'targetAddress');
    const r = await this.reachable(shadow);
    if (r) {
      r.disconnect();
      return undefined;
    }
    const dirGone = await readFile(join(this.shadowDir(cmd, shadow), 'redis.conf')).then(
      () => false,
      () => true,
    );
    return dirGone ? { address: formatHostPort(shadow), detail: 'shadow stopped and removed' } : undefined;
  }
}
