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
import { z } from 'zod';
import { formatHostPort, parseHostPort } from '../framework/address.js';
import { permanentError, transientError } from '../framework/errors.js';
import type {
  ActuationContext,
  ActuatorCommand,
  ActuatorProvider,
  Outcome,
  ShadowCommand,
} from '../framework/types.js';
import { describeServer, draining, HaproxyRuntimeApi, inMaintenance, type ServerState } from './runtime-api.js';

export const haproxyProviderOptionsSchema = z.object({
  name: z.string().default('haproxy'),
  /** Unix socket path or host:port of an admin-level `stats socket`. */
  runtimeApi: z.string().min(1),
  /** resourceId → backend name, for commands that do not carry `haproxy.backend`. */
  backends: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().int().positive().default(5_000),
});
export type HaproxyProviderOptions = z.input<typeof haproxyProviderOptionsSchema>;

const sameAddress = (s: ServerState, host: string, port: number): boolean => s.address === host && s.port === port;

export class HaproxyProvider implements ActuatorProvider {
  readonly name: string;
  private readonly api: HaproxyRuntimeApi;
  private readonly backends: Record<string, string>;

  constructor(options: HaproxyProviderOptions) {
    const o = haproxyProviderOptionsSchema.parse(options);
    this.name = o.name;
    this.api = new HaproxyRuntimeApi(o.runtimeApi, o.timeoutMs);
    this.backends = o.backends;
  }

  private backendOf(cmd: ShadowCommand): string | undefined {
    return cmd.config['haproxy.backend'] ?? this.backends[cmd.resourceId];
  }

  accepts(c: ActuatorCommand): boolean {
    return (
      c.source === 'shadow' &&
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

  /** Look, never act: the redirect's slot ready with every other server drained, or the fence's servers in maintenance. */
  async reconcile(c: ActuatorCommand, _ctx: ActuationContext): Promise<Outcome | undefined> {
    if (c.source !== 'shadow') return undefined;
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
