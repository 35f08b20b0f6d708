/**
 * HAProxy actuator: redirects a resource's traffic through the Runtime API, with no reload.
 *
 * A resource maps to a backend (command config `haproxy.backend`, or the `backends` option). The
 * backend is configured with one active server and at least one spare slot (`server spare
 * 0.0.0.0:1 disabled`): HAProxy cannot add servers to a running backend without a reload on every
 * version we support, but it can re-address a disabled one.
 *
 * REDIRECT: the slot already pointing at targetAddress, else a slot in maintenance, is set to
 *   targetAddress and made ready; every other active server is put in drain (no new
 *   connections, established ones finish). Re-running converges to the same state.
 * FENCE: the server at primaryAddress goes to maintenance and its sessions are shut down.
 * After a crash between acting and recording, `reconcile` reads the backend's servers state and
 * reports a redirect or fence already in place instead of applying it again.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { describeError } from '../../streams/runtime/errors.js';
import { formatHostPort, parseHostPort } from '../framework/address.js';
import { permanentError, transientError } from '../framework/errors.js';
import { sleep } from '../framework/retry.js';
import type { ActuationContext, ActuatorCommand, FailoverCommand, Outcome, ShadowCommand } from '../framework/types.js';
import { mergeOutcomes, type PartOutcome } from '../region/outcomes.js';
import type { RegionMember } from '../region/region-provider.js';
import { type RegionBalancer, regionBalancerConfig, regionBalancerSchema } from './region-config.js';
import { describeServer, draining, HaproxyRuntimeApi, inMaintenance, type ServerState } from './runtime-api.js';

export const haproxyProviderOptionsSchema = z.object({
  name: z.string().default('haproxy'),
  /** Unix socket path or host:port of an admin-level `stats socket` (for shadow REDIRECT / FENCE). */
  runtimeApi: z.string().min(1).optional(),
  /** resourceId → backend name, for commands that do not carry `haproxy.backend`. */
  backends: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().int().positive().default(5_000),
  /**
   * Region failover: service → shadow region → the load balancer to run there. A LAUNCH_LEVEL
   * with provisionOnly writes (and checks, `haproxy -c`) its configuration with the capacity
   * launch's instance counts of its upstreams; the service's own LAUNCH_LEVEL starts one haproxy
   * per instance (they share the frontends' addresses through SO_REUSEPORT) and waits until every
   * frontend accepts connections and every backend has a server passing its health check.
   */
  regionServices: z.record(z.string(), z.record(z.string(), regionBalancerSchema)).default({}),
  haproxyBinary: z.string().default('haproxy'),
  /** How long a started load balancer may take to serve (frontends bound, a server up per backend). */
  readyTimeoutMs: z.number().int().positive().default(15_000),
});
export type HaproxyProviderOptions = z.input<typeof haproxyProviderOptionsSchema>;

const sameAddress = (s: ServerState, host: string, port: number): boolean => s.address === host && s.port === port;

export class HaproxyProvider implements RegionMember {
  readonly name: string;
  private readonly shadowApi: HaproxyRuntimeApi | undefined;
  private readonly backends: Record<string, string>;
  private readonly o: z.infer<typeof haproxyProviderOptionsSchema>;

  constructor(options: HaproxyProviderOptions) {
    const o = haproxyProviderOptionsSchema.parse(options);
    this.o = o;
    this.name = o.name;
    this.shadowApi = o.runtimeApi ? new HaproxyRuntimeApi(o.runtimeApi, o.timeoutMs) : undefined;
    this.backends = o.backends;
  }

  /** The runtime API of the load balancer that shadow commands act on. */
  private get api(): HaproxyRuntimeApi {
    if (!this.shadowApi) throw permanentError('runtimeApi is not configured: this actuator only runs region steps');
    return this.shadowApi;
  }

  ownsService(service: string, region: string): boolean {
    return this.o.regionServices[service]?.[region] !== undefined;
  }

  private backendOf(cmd: ShadowCommand): string | undefined {
    return cmd.config['haproxy.backend'] ?? this.backends[cmd.resourceId];
  }

  accepts(c: ActuatorCommand): boolean {
    if (c.source === 'failover') {
      const cmd = c.command;
      return cmd.type === 'LAUNCH_LEVEL' && cmd.services.some((s) => this.ownsService(s.service, cmd.shadowRegion));
    }
    return (
      this.shadowApi !== undefined &&
      (c.command.type === 'REDIRECT' || c.command.type === 'FENCE') &&
      this.backendOf(c.command) !== undefined
    );
  }

  async redirect(cmd: ShadowCommand): Promise<Outcome> {
    const backend = this.backendOf(cmd) ?? '';
    if (!cmd.targetAddress) throw permanentError('targetAddress is required for REDIRECT');
    const target = parseHostPort(cmd.targetAddress, 'targetAddress');
    const servers = await this.api.serversState(backend);
    const slot = servers.find((s) => sameAddress(s, target.host, target.port)) ?? servers.find(inMaintenance);
    if (!slot) {
      throw permanentError(`backend ${backend} has no server at ${cmd.targetAddress} and no spare (disabled) slot`);
    }
    if (!sameAddress(slot, target.host, target.port))
      await this.api.setAddress(backend, slot.name, target.host, target.port);
    await this.api.setState(backend, slot.name, 'ready');
    const drained: string[] = [];
    for (const s of servers) {
      if (s.name === slot.name || inMaintenance(s) || draining(s)) continue;
      await this.api.setState(backend, s.name, 'drain');
      drained.push(s.name);
    }
    const after = await this.api.serversState(backend);
    const now = after.find((s) => s.name === slot.name);
    if (!now || !sameAddress(now, target.host, target.port) || inMaintenance(now) || draining(now)) {
      throw transientError(`backend ${backend} did not take the new address`, { server: slot.name });
    }
    return {
      address: formatHostPort(target),
      detail: `${describeServer(now)} ready${drained.length ? `; drained ${drained.join(', ')}` : ''}`,
    };
  }

  async fence(cmd: ShadowCommand): Promise<Outcome> {
    const backend = this.backendOf(cmd) ?? '';
    if (!cmd.primaryAddress) throw permanentError('primaryAddress is required for FENCE');
    const old = parseHostPort(cmd.primaryAddress, 'primaryAddress');
    const servers = await this.api.serversState(backend);
    const hits = servers.filter((s) => sameAddress(s, old.host, old.port));
    for (const s of hits) {
      await this.api.setState(backend, s.name, 'maint');
      await this.api.shutdownSessions(backend, s.name);
    }
    return {
      detail: hits.length
        ? `maintenance: ${hits.map(describeServer).join(', ')}`
        : `no server at ${cmd.primaryAddress}`,
    };
  }

  /** Region failover: see `regionServices`. Other steps have nothing to do with HAProxy. */
  async failoverStep(cmd: FailoverCommand, _ctx: ActuationContext): Promise<Outcome> {
    if (cmd.dryRun || cmd.type !== 'LAUNCH_LEVEL') return cmd.dryRun ? { detail: 'dry run: not acted on' } : {};
    const counts = new Map(cmd.services.map((s) => [s.service, s.instances]));
    const mine = cmd.services
      .map((s) => ({ s, b: this.o.regionServices[s.service]?.[cmd.shadowRegion] }))
      .filter((x): x is { s: (typeof cmd.services)[number]; b: RegionBalancer } => x.b !== undefined);
    // A launch's services (a wave of the DAG, or the whole capacity) come up together.
    const parts = await Promise.all(
      mine.map(async ({ s, b }): Promise<PartOutcome> => {
        const instances = balancerInstances(s.service, s.instances, b);
        if (cmd.provisionOnly) {
          await Promise.all(instances.map((i) => this.writeBalancerConfig(i, b, counts)));
          return { member: s.service, outcome: { detail: `${instances.length} instance(s) configured and checked` } };
        }
        const started = await Promise.all(instances.map((i) => this.startBalancer(i, b)));
        const servers = await Promise.all(instances.map((i) => this.waitServing(i, b)));
        return {
          member: s.service,
          outcome: {
            address: b.frontends.map((f) => f.bind).join(','),
            detail: `${started.filter(Boolean).length} started, ${started.filter((x) => !x).length} already running; serving (${servers[0]})`,
          },
        };
      }),
    );
    return mergeOutcomes(parts);
  }

  private async writeBalancerConfig(
    i: BalancerInstance,
    b: RegionBalancer,
    counts: ReadonlyMap<string, number>,
  ): Promise<void> {
    await mkdir(i.dir, { recursive: true, mode: 0o700 });
    await writeFile(i.config, regionBalancerConfig(b, i.socket, counts), { mode: 0o600 });
    try {
      await run(this.o.haproxyBinary, ['-c', '-q', '-f', i.config], { timeout: 10_000 });
    } catch (err: unknown) {
      const out = (err as { stderr?: string }).stderr ?? describeError(err);
      throw permanentError(`haproxy refused the configuration of ${i.service}: ${out.trim()}`, { file: i.config });
    }
  }

  /** True when it started the process, false when ours already runs. */
  private async startBalancer(i: BalancerInstance, b: RegionBalancer): Promise<boolean> {
    if (await processAlive(i.pidFile)) return false;
    const configured = await readFile(i.config).then(
      () => true,
      () => false,
    );
    // Started without the provisioning step: configure now, one server per upstream.
    if (!configured) await this.writeBalancerConfig(i, b, new Map());
    try {
      await run(this.o.haproxyBinary, ['-D', '-p', i.pidFile, '-f', i.config], { timeout: 10_000 });
    } catch (err: unknown) {
      throw transientError(`haproxy for ${i.service} failed to start: ${describeError(err)}`, { file: i.config }, err);
    }
    return true;
  }

  /** Until every frontend accepts connections and every backend has a server up; returns a summary. */
  private async waitServing(i: BalancerInstance, b: RegionBalancer): Promise<string> {
    const api = new HaproxyRuntimeApi(i.socket, this.o.timeoutMs);
    const deadline = Date.now() + this.o.readyTimeoutMs;
    let last = 'not started';
    for (;;) {
      try {
        const bound = await Promise.all(b.frontends.map((f) => accepts(f.bind)));
        const up: string[] = [];
        for (const f of b.frontends) {
          const servers = await api.serversState(`${f.name}-servers`);
          const n = servers.filter((s) => s.opState === 2).length;
          up.push(`${f.name} ${n}/${servers.length} up`);
          if (n === 0) last = `${f.name}: no server up yet`;
        }
        if (!bound.every(Boolean)) last = 'frontends not bound yet';
        else if (up.every((u) => !u.includes(' 0/'))) return up.join(', ');
      } catch (err: unknown) {
        last = describeError(err);
      }
      if (Date.now() > deadline) {
        throw transientError(`${i.service} not serving after ${this.o.readyTimeoutMs} ms: ${last}`, { dir: i.dir });
      }
      await sleep(20);
    }
  }

  /** Look, never act: every instance configured (provisionOnly), or running and serving. */
  private async observeRegionLaunch(cmd: FailoverCommand): Promise<Outcome | undefined> {
    if (cmd.type !== 'LAUNCH_LEVEL' || cmd.dryRun) return undefined;
    for (const s of cmd.services) {
      const b = this.o.regionServices[s.service]?.[cmd.shadowRegion];
      if (!b) continue;
      for (const i of balancerInstances(s.service, s.instances, b)) {
        if (cmd.provisionOnly) {
          const there = await readFile(i.config).then(
            () => true,
            () => false,
          );
          if (!there) return undefined;
          continue;
        }
        if (!(await processAlive(i.pidFile))) return undefined;
      }
    }
    return { detail: cmd.provisionOnly ? 'instances configured' : 'instances running' };
  }

  /** Look, never act: the redirect's slot ready with every other server drained, or the fence's servers in maintenance. */
  async reconcile(c: ActuatorCommand, _ctx: ActuationContext): Promise<Outcome | undefined> {
    if (c.source === 'failover') return this.observeRegionLaunch(c.command);
    const cmd = c.command;
    const backend = this.backendOf(cmd) ?? '';
    if (cmd.type === 'REDIRECT' && cmd.targetAddress) {
      const target = parseHostPort(cmd.targetAddress, 'targetAddress');
      const servers = await this.api.serversState(backend);
      const slot = servers.find((s) => sameAddress(s, target.host, target.port) && !inMaintenance(s) && !draining(s));
      const othersServing = servers.some((s) => s !== slot && !inMaintenance(s) && !draining(s));
      if (!slot || othersServing) return undefined;
      return { address: formatHostPort(target), detail: `${describeServer(slot)} ready` };
    }
    if (cmd.type === 'FENCE' && cmd.primaryAddress) {
      const old = parseHostPort(cmd.primaryAddress, 'primaryAddress');
      const hits = (await this.api.serversState(backend)).filter((s) => sameAddress(s, old.host, old.port));
      if (hits.length === 0 || !hits.every(inMaintenance)) return undefined;
      return { detail: `maintenance: ${hits.map(describeServer).join(', ')}` };
    }
    return undefined;
  }
}

const run = promisify(execFile);

interface BalancerInstance {
  service: string;
  dir: string;
  config: string;
  pidFile: string;
  socket: string;
}

/** One haproxy process per instance, each in its own directory. */
function balancerInstances(service: string, count: number, b: RegionBalancer): BalancerInstance[] {
  const safe = service.replace(/[^A-Za-z0-9._-]/g, '_');
  return Array.from({ length: Math.max(1, count) }, (_, n) => {
    const dir = resolve(b.dir, `${safe}-${n}`);
    return {
      service,
      dir,
      config: join(dir, 'haproxy.cfg'),
      pidFile: join(dir, 'haproxy.pid'),
      socket: join(dir, 'admin.sock'),
    };
  });
}

/** Whether the process named by a pid file runs. */
async function processAlive(pidFile: string): Promise<boolean> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim().split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether host:port accepts a TCP connection. */
function accepts(address: string): Promise<boolean> {
  const a = parseHostPort(address, 'frontend bind');
  return new Promise((done) => {
    const sock = createConnection({ host: a.host, port: a.port });
    const finish = (ok: boolean): void => {
      sock.destroy();
      done(ok);
    };
    sock.setTimeout(1_000, () => finish(false));
    sock.once('connect', () => finish(true));
    sock.once('error', () => finish(false));
  });
}
