/**
 * Simulated actuator for drills, tests and benchmarks: every verb (per-resource shadow commands and
 * region failover steps such as LAUNCH_LEVEL) takes a delay drawn from a configurable distribution
 * and fails with a configurable probability, transiently (retried by the consumer) or permanently.
 * It keeps an in-memory model of what it "runs", so a drill can check the end state; `reconcile`
 * reads that model (which, like a real system's state, survives the consumer but not the process).
 */
import { z } from 'zod';
import { permanentError, transientError } from '../framework/errors.js';
import { sleep } from '../framework/retry.js';
import type {
  ActuationContext,
  ActuatorCommand,
  ActuatorProvider,
  FailoverCommand,
  Outcome,
  ServiceLaunch,
  ShadowCommand,
} from '../framework/types.js';
import { type Distribution, distributionSchema, sample, seededRandom } from './distributions.js';

const behaviourSchema = z.object({
  delayMs: distributionSchema.default({ type: 'constant', value: 0 }),
  /** Probability that one attempt fails. */
  failureRate: z.number().min(0).max(1).default(0),
  /** Share of failures that are permanent (the rest are transient and retried). */
  permanentShare: z.number().min(0).max(1).default(0),
});
export type Behaviour = z.input<typeof behaviourSchema>;

export const simulatedProviderOptionsSchema = z.object({
  name: z.string().default('simulated'),
  /** Command kinds handled; empty = all. */
  kinds: z.array(z.string()).default([]),
  seed: z.number().int().default(1),
  /** Default behaviour of every verb. */
  defaults: behaviourSchema.default({ delayMs: { type: 'constant', value: 0 }, failureRate: 0, permanentShare: 0 }),
  /** Per command type (CREATE, PROMOTE, LAUNCH_LEVEL, ...) overrides. */
  byType: z.record(z.string(), behaviourSchema).default({}),
  /** LAUNCH_LEVEL: boot delay of one service instance; instances boot in parallel. */
  instanceLaunchMs: distributionSchema.optional(),
  /** LAUNCH_LEVEL: start of a service on its booted instances. */
  appStartMs: z.number().min(0).default(0),
  /** LAUNCH_LEVEL: readiness check of a started service (health checks passing). */
  readinessMs: z.number().min(0).default(0),
  /** LAUNCH_LEVEL: probability that one instance fails to launch (the level then fails transiently). */
  instanceFailureRate: z.number().min(0).max(1).default(0),
  /** Simulated replication lag reported by CREATE / REPORT_SYNC. */
  lagBytes: distributionSchema.default({ type: 'constant', value: 0 }),
});
export type SimulatedProviderOptions = z.input<typeof simulatedProviderOptionsSchema>;

export type SimulatedSleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface SimulatedResource {
  role: 'shadow' | 'primary' | 'retired' | 'fenced';
  address: string;
  epoch: number;
}

export interface SimulatedRegion {
  /** Levels of which services were started. */
  launchedLevels: number[];
  /** Booted instances per service (a relaunch of a service replaces, not adds). */
  booted: Record<string, number>;
  /** Started services and their instances. */
  services: Record<string, number>;
  /** Booted instances in all. */
  instances: number;
  networking: boolean;
  trafficTo: string | null;
  replicating: boolean;
  aborted: boolean;
}

export class SimulatedProvider implements ActuatorProvider {
  readonly name: string;
  private readonly o: z.infer<typeof simulatedProviderOptionsSchema>;
  private readonly random: () => number;
  /** What the simulation "runs", keyed by resourceId / primary region. */
  readonly resources = new Map<string, SimulatedResource>();
  readonly regions = new Map<string, SimulatedRegion>();
  /** Attempts made per command id (tests and benchmarks read it). */
  readonly attempts = new Map<string, number>();
  /** Instance boots in progress or done, per `<primary region>/<service>`. */
  private readonly boots = new Map<string, Promise<void>>();

  /** Waits a delay; a drill passes a virtual clock's, so simulated minutes take no wall time. */
  private readonly sleep: SimulatedSleep;

  constructor(options: SimulatedProviderOptions = {}, clock: { sleep?: SimulatedSleep } = {}) {
    this.sleep = clock.sleep ?? sleep;
    this.o = simulatedProviderOptionsSchema.parse(options);
    this.name = this.o.name;
    this.random = seededRandom(this.o.seed);
  }

  accepts(c: ActuatorCommand): boolean {
    return c.source === 'failover' || this.o.kinds.length === 0 || this.o.kinds.includes(c.command.kind);
  }

  private draw(d: Distribution): number {
    return sample(d, this.random);
  }

  /** The common part of every verb: count the attempt, wait the drawn delay, maybe fail. */
  private async act(type: string, commandId: string, ctx: ActuationContext): Promise<number> {
    this.attempts.set(commandId, (this.attempts.get(commandId) ?? 0) + 1);
    const b = behaviourSchema.parse(this.o.byType[type] ?? this.o.defaults);
    const delay = this.draw(b.delayMs);
    await this.sleep(delay, ctx.signal);
    if (this.random() < b.failureRate) {
      if (this.random() < b.permanentShare) throw permanentError(`simulated permanent failure of ${type}`);
      throw transientError(`simulated transient failure of ${type}`);
    }
    return delay;
  }

  private address(cmd: ShadowCommand): string {
    return cmd.targetAddress || `sim://${cmd.targetHost || 'host'}/${cmd.resourceId}`;
  }

  async createShadow(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    const ms = await this.act('CREATE', cmd.commandId, ctx);
    this.resources.set(cmd.resourceId, { role: 'shadow', address: this.address(cmd), epoch: cmd.epoch });
    return {
      address: this.address(cmd),
      lagBytes: Math.round(this.draw(this.o.lagBytes)),
      detail: `launched in ${Math.round(ms)} ms`,
    };
  }

  async reportSync(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    await this.act('REPORT_SYNC', cmd.commandId, ctx);
    const r = this.resources.get(cmd.resourceId);
    if (!r) throw permanentError(`no simulated shadow for ${cmd.resourceId}`);
    return { address: r.address, lagBytes: Math.round(this.draw(this.o.lagBytes)), lagMs: 0 };
  }

  private async transition(
    cmd: ShadowCommand,
    ctx: ActuationContext,
    role: SimulatedResource['role'],
  ): Promise<Outcome> {
    const ms = await this.act(cmd.type, cmd.commandId, ctx);
    const address = this.resources.get(cmd.resourceId)?.address ?? this.address(cmd);
    this.resources.set(cmd.resourceId, { role, address, epoch: cmd.epoch });
    return { address, detail: `${cmd.type.toLowerCase()} in ${Math.round(ms)} ms` };
  }

  promote(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    return this.transition(cmd, ctx, 'primary');
  }
  retire(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    return this.transition(cmd, ctx, 'retired');
  }
  fence(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    return this.transition(cmd, ctx, 'fenced');
  }
  redirect(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    return this.transition(cmd, ctx, 'primary');
  }
  deployStandard(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    return this.transition(cmd, ctx, 'primary');
  }

  /** Boots the instances of a service once per region; a later launch of it reuses them. */
  private boot(region: string, s: ServiceLaunch, level: number, signal: AbortSignal): Promise<void> {
    const key = `${region}/${s.service}`;
    const known = this.boots.get(key);
    if (known) return known;
    let slowest = 0;
    for (let i = 0; i < s.instances; i++) {
      if (this.o.instanceLaunchMs) slowest = Math.max(slowest, this.draw(this.o.instanceLaunchMs));
      if (this.random() < this.o.instanceFailureRate) {
        throw transientError(`simulated instance launch failure of ${s.service} in level ${level}`, { level });
      }
    }
    const booted = this.sleep(slowest, signal);
    this.boots.set(key, booted);
    booted.catch(() => this.boots.delete(key)); // an aborted boot is done again next time
    return booted;
  }

  /**
   * LAUNCH_LEVEL: boot the services' instances in parallel (or wait for the boot an earlier
   * provisionOnly launch began), then, unless provisionOnly, start the services on them and wait
   * for their readiness check.
   */
  private async launch(
    cmd: FailoverCommand,
    region: SimulatedRegion,
    ms: number,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const started = Date.now();
    const instances = cmd.services.reduce((n, s) => n + s.instances, 0);
    await Promise.all(cmd.services.map((s) => this.boot(cmd.primaryRegion, s, cmd.level, signal)));
    for (const s of cmd.services) region.booted[s.service] = s.instances;
    region.instances = Object.values(region.booted).reduce((n, k) => n + k, 0);
    if (cmd.provisionOnly) {
      const took = Math.round(ms + Date.now() - started);
      return {
        address: cmd.shadowRegion,
        detail: `provisioned ${instances} instances of ${cmd.services.length} services in ${took} ms`,
      };
    }
    await this.sleep(this.o.appStartMs + this.o.readinessMs, signal);
    // Several commands may start units of the same level, and a retry restarts the same services.
    if (!region.launchedLevels.includes(cmd.level)) region.launchedLevels.push(cmd.level);
    for (const s of cmd.services) region.services[s.service] = s.instances;
    const took = Math.round(ms + Date.now() - started);
    return {
      address: cmd.shadowRegion,
      detail: `level ${cmd.level}: ${cmd.services.length} services, ${instances} instances in ${took} ms`,
    };
  }

  async failoverStep(cmd: FailoverCommand, ctx: ActuationContext): Promise<Outcome> {
    const ms = await this.act(cmd.type, cmd.commandId, ctx);
    const region: SimulatedRegion = this.regions.get(cmd.primaryRegion) ?? {
      launchedLevels: [],
      booted: {},
      services: {},
      instances: 0,
      networking: false,
      trafficTo: null,
      replicating: false,
      aborted: false,
    };
    this.regions.set(cmd.primaryRegion, region);
    if (cmd.dryRun) return { detail: `dry run of ${cmd.type} (${Math.round(ms)} ms)` };
    switch (cmd.type) {
      case 'LAUNCH_LEVEL':
        return this.launch(cmd, region, ms, ctx.signal);
      case 'CONFIGURE_NETWORKING':
        region.networking = true;
        return { address: cmd.shadowRegion, detail: 'networking configured' };
      case 'REDIRECT_TRAFFIC':
        region.trafficTo = cmd.shadowRegion;
        return { address: cmd.shadowRegion, detail: `traffic to ${cmd.shadowRegion}` };
      case 'START_REPLICATION':
        region.replicating = true;
        return { address: cmd.shadowRegion, detail: 'replication started' };
      case 'ABORT':
        region.aborted = true;
        return { detail: 'failover aborted' };
    }
  }

  /** Look, never act: the model already holds this command's end state at its epoch. */
  async reconcile(c: ActuatorCommand): Promise<Outcome | undefined> {
    if (c.source !== 'shadow') return undefined;
    const cmd = c.command;
    const want: Partial<Record<ShadowCommand['type'], SimulatedResource['role']>> = {
      CREATE: 'shadow',
      PROMOTE: 'primary',
      RETIRE: 'retired',
      FENCE: 'fenced',
      REDIRECT: 'primary',
      DEPLOY_STANDARD: 'primary',
    };
    const r = this.resources.get(cmd.resourceId);
    if (!r || r.epoch !== cmd.epoch || r.role !== want[cmd.type]) return undefined;
    return { address: r.address, detail: `${cmd.type.toLowerCase()} already in place` };
  }
}
