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
 * Region failover (LAUNCH_LEVEL of a shadow region's load balancers): region-launch.ts.
 */
import { z } from 'zod';
import { formatHostPort, parseHostPort } from '../framework/address.js';
import { permanentError, transientError } from '../framework/errors.js';
import type { ActuationContext, ActuatorCommand, FailoverCommand, Outcome, ShadowCommand } from '../framework/types.js';
import type { RegionMember } from '../region/region-provider.js';
import { regionBalancerSchema } from './region-config.js';
import { HaproxyRegionLaunch } from './region-launch.js';
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
  private readonly region: HaproxyRegionLaunch;

  constructor(options: HaproxyProviderOptions) {
    const o = haproxyProviderOptionsSchema.parse(options);
    this.o = o;
    this.name = o.name;
    this.shadowApi = o.runtimeApi ? new HaproxyRuntimeApi(o.runtimeApi, o.timeoutMs) : undefined;
    this.backends = o.backends;
    this.region = new HaproxyRegionLaunch(o.regionServices, o);
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

  /** Region failover: see `regionServices` (region-launch.ts). Other steps have nothing to do with HAProxy. */
  failoverStep(cmd: FailoverCommand, _ctx: ActuationContext): Promise<Outcome> {
    return this.region.step(cmd);
  }

  /** Look, never act: the redirect's slot ready with every other server drained, or the fence's servers in maintenance. */
  async reconcile(c: ActuatorCommand, _ctx: ActuationContext): Promise<Outcome | undefined> {
    if (c.source === 'failover') return this.region.observe(c.command);
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
