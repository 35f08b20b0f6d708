/**
 * The Redis actuator's region failover step: a service's instances in the shadow region
 * (region-instances.ts) are configured by the capacity launch (provisionOnly) and started by the
 * service's own launch, each answering PING before the launch counts as done. A launch's services
 * come up together. Servers already running there are left as they are when we started them (a
 * retry converges) and refused when something else holds the port.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { describeError } from '../../streams/runtime/errors.js';
import { formatHostPort, type HostPort } from '../framework/address.js';
import { permanentError, transientError } from '../framework/errors.js';
import { sleep } from '../framework/retry.js';
import type { FailoverCommand, Outcome } from '../framework/types.js';
import { mergeOutcomes, type PartOutcome } from '../region/outcomes.js';
import {
  type RegionInstance,
  type RegionInstances,
  regionInstanceConfig,
  regionInstances,
} from './region-instances.js';

const run = promisify(execFile);

/** What the launcher needs from the provider: its binary, credentials and connections. */
export interface RedisAccess {
  redisServer: string;
  /** The password quoted for redis.conf, or undefined without one. */
  quotedPassword(): string | undefined;
  /** A connected client, or undefined when nothing answers at `a`. */
  reachable(a: HostPort): Promise<Redis | undefined>;
}

export class RedisRegionLaunch {
  constructor(
    /** service → shadow region → where its instances run. */
    private readonly services: Readonly<Record<string, Readonly<Record<string, RegionInstances>>>>,
    private readonly access: RedisAccess,
  ) {}

  /**
   * Region failover: provisionOnly writes the configuration of every instance of its services;
   * otherwise their servers are started (already running ones, started by us, are left as they
   * are) and each must answer PING. Other steps have nothing to do with Redis.
   */
  async step(cmd: FailoverCommand): Promise<Outcome> {
    if (cmd.dryRun || cmd.type !== 'LAUNCH_LEVEL') return cmd.dryRun ? { detail: 'dry run: not acted on' } : {};
    const mine = cmd.services
      .map((s) => ({ s, where: this.services[s.service]?.[cmd.shadowRegion] }))
      .filter((x): x is { s: (typeof cmd.services)[number]; where: RegionInstances } => x.where !== undefined);
    // A launch's services (a wave of the DAG, or the whole capacity) come up together.
    const parts = await Promise.all(
      mine.map(async ({ s, where }): Promise<PartOutcome> => {
        const instances = regionInstances(s.service, s.instances, where);
        if (cmd.provisionOnly) {
          await Promise.all(instances.map((i) => this.writeConfig(i)));
          return { member: s.service, outcome: { detail: `${instances.length} instance(s) configured` } };
        }
        const started = await Promise.all(instances.map((i) => this.startInstance(i)));
        return {
          member: s.service,
          outcome: {
            address: instances.map((i) => formatHostPort(i.address)).join(','),
            detail: `${started.filter(Boolean).length} started, ${started.filter((x) => !x).length} already running; all answer PING`,
          },
        };
      }),
    );
    return mergeOutcomes(parts);
  }

  private async writeConfig(i: RegionInstance): Promise<string> {
    await mkdir(i.dir, { recursive: true, mode: 0o700 });
    const file = join(i.dir, 'redis.conf');
    await writeFile(file, regionInstanceConfig(i, this.access.quotedPassword()), { mode: 0o600 });
    await chmod(file, 0o600);
    return file;
  }

  /** True when it started the server, false when one of ours already answered there. */
  private async startInstance(i: RegionInstance): Promise<boolean> {
    const running = await this.access.reachable(i.address);
    if (running) {
      running.disconnect();
      const ours = await readFile(join(i.dir, 'redis.pid'), 'utf8').then(
        () => true,
        () => false,
      );
      if (!ours) throw permanentError(`${formatHostPort(i.address)} already runs a redis not started by Foreshadow`);
      return false;
    }
    const file = await readFile(join(i.dir, 'redis.conf'), 'utf8').then(
      () => join(i.dir, 'redis.conf'),
      () => this.writeConfig(i), // started without the provisioning step: configure now
    );
    await this.launchServer(file, i.address);
    return true;
  }

  /** Runs a daemonising redis-server on `file` and waits until `a` answers. */
  private async launchServer(file: string, a: HostPort): Promise<void> {
    try {
      await run(this.access.redisServer, [file], { timeout: 10_000 });
    } catch (err: unknown) {
      throw transientError(`redis-server failed to start on ${formatHostPort(a)}: ${describeError(err)}`, {}, err);
    }
    const deadline = Date.now() + 10_000;
    for (;;) {
      const c = await this.access.reachable(a);
      if (c) {
        try {
          if ((await c.ping()) === 'PONG') return;
        } catch {
          // still loading its data set: ask again
        } finally {
          c.disconnect();
        }
      }
      if (Date.now() > deadline) throw transientError(`redis-server on ${formatHostPort(a)} did not come up`);
      await sleep(20);
    }
  }

  /** Look, never act: a launch's instances all configured (provisionOnly) or all answering. */
  async observe(cmd: FailoverCommand): Promise<Outcome | undefined> {
    if (cmd.type !== 'LAUNCH_LEVEL' || cmd.dryRun) return undefined;
    for (const s of cmd.services) {
      const where = this.services[s.service]?.[cmd.shadowRegion];
      if (!where) continue;
      for (const i of regionInstances(s.service, s.instances, where)) {
        if (cmd.provisionOnly) {
          const there = await readFile(join(i.dir, 'redis.conf')).then(
            () => true,
            () => false,
          );
          if (!there) return undefined;
          continue;
        }
        const c = await this.access.reachable(i.address);
        if (!c) return undefined;
        c.disconnect();
      }
    }
    return { detail: cmd.provisionOnly ? 'instances configured' : 'instances answering' };
  }
}
