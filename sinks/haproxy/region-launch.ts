/**
 * The HAProxy actuator's region failover step: a load-balancer service of the shadow region
 * (region-config.ts) is configured by the capacity launch (provisionOnly: haproxy.cfg written with
 * the launch's upstream instance counts and checked with `haproxy -c`) and started by its own
 * launch: one haproxy per instance (they share the frontends through SO_REUSEPORT), done when
 * every frontend accepts connections and every backend has a server passing its health check. A
 * launch's services come up together; ours already running are left as they are.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describeError } from '../../streams/runtime/errors.js';
import { parseHostPort } from '../framework/address.js';
import { permanentError, transientError } from '../framework/errors.js';
import { sleep } from '../framework/retry.js';
import type { FailoverCommand, Outcome } from '../framework/types.js';
import { mergeOutcomes, type PartOutcome } from '../region/outcomes.js';
import { type RegionBalancer, regionBalancerConfig } from './region-config.js';
import { HaproxyRuntimeApi } from './runtime-api.js';

export interface HaproxyLaunchOptions {
  haproxyBinary: string;
  /** Runtime API timeout. */
  timeoutMs: number;
  /** How long a started load balancer may take to serve. */
  readyTimeoutMs: number;
}

export class HaproxyRegionLaunch {
  constructor(
    /** service → shadow region → the load balancer to run there. */
    private readonly services: Readonly<Record<string, Readonly<Record<string, RegionBalancer>>>>,
    private readonly o: HaproxyLaunchOptions,
  ) {}

  async step(cmd: FailoverCommand): Promise<Outcome> {
    if (cmd.dryRun || cmd.type !== 'LAUNCH_LEVEL') return cmd.dryRun ? { detail: 'dry run: not acted on' } : {};
    const counts = new Map(cmd.services.map((s) => [s.service, s.instances]));
    const mine = cmd.services
      .map((s) => ({ s, b: this.services[s.service]?.[cmd.shadowRegion] }))
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
  async observe(cmd: FailoverCommand): Promise<Outcome | undefined> {
    if (cmd.type !== 'LAUNCH_LEVEL' || cmd.dryRun) return undefined;
    for (const s of cmd.services) {
      const b = this.services[s.service]?.[cmd.shadowRegion];
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
