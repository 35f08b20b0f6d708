/**
 * The actuator contract: the command shapes read from shadow.commands / failover.commands, the
 * result shape written to actuation.results (mirrors of schemas/*.avsc, validated with zod so a
 * JSON and an Avro-decoded command look the same), and the provider interface every actuator
 * implements. Providers only do the side effect (and, after a crash, tell whether it is already
 * done); idempotency, fencing, retries and result production live once in the command consumer
 * (consumer.ts).
 */
import { z } from 'zod';

export const SHADOW_COMMAND_TYPES = [
  'CREATE',
  'RETIRE',
  'PROMOTE',
  'FENCE',
  'REDIRECT',
  'DEPLOY_STANDARD',
  'REPORT_SYNC',
] as const;
export type ShadowCommandType = (typeof SHADOW_COMMAND_TYPES)[number];

export const FAILOVER_COMMAND_TYPES = [
  'LAUNCH_LEVEL',
  'CONFIGURE_NETWORKING',
  'REDIRECT_TRAFFIC',
  'START_REPLICATION',
  'ABORT',
] as const;
export type FailoverCommandType = (typeof FAILOVER_COMMAND_TYPES)[number];

export const ACTUATION_STATUSES = ['SUCCEEDED', 'IN_PROGRESS', 'FAILED', 'REJECTED_STALE_EPOCH', 'DUPLICATE'] as const;
export type ActuationStatus = (typeof ACTUATION_STATUSES)[number];

/** Avro longs arrive as numbers from avsc, and may arrive as strings from hand-written JSON. */
const long = z.union([z.number(), z.string().regex(/^-?\d+$/)]).transform((v) => Number(v));

/** schemas/shadow-command.avsc, with the Avro defaults. */
export const shadowCommandSchema = z.object({
  commandId: z.string().min(1),
  type: z.enum(SHADOW_COMMAND_TYPES),
  resourceId: z.string().min(1),
  kind: z.string(),
  epoch: long,
  primaryHost: z.string(),
  primaryAddress: z.string().default(''),
  targetHost: z.string().default(''),
  targetAddress: z.string().default(''),
  region: z.string(),
  zone: z.string().default(''),
  tier: z.string().default('MEDIUM'),
  priority: z.number().default(0),
  config: z.record(z.string(), z.string()).default({}),
  reason: z.string().default(''),
  issuedAt: long,
  attempt: z.number().int().default(1),
});
export type ShadowCommand = z.infer<typeof shadowCommandSchema>;

export const serviceLaunchSchema = z.object({
  service: z.string(),
  instances: z.number().int(),
  cpuPerInstance: z.number(),
  memoryMbPerInstance: long,
  configRef: z.string().default(''),
});
export type ServiceLaunch = z.infer<typeof serviceLaunchSchema>;

/** schemas/failover-command.avsc, with the Avro defaults. */
export const failoverCommandSchema = z.object({
  commandId: z.string().min(1),
  failoverId: z.string(),
  type: z.enum(FAILOVER_COMMAND_TYPES),
  primaryRegion: z.string().min(1),
  shadowRegion: z.string(),
  epoch: long,
  blueprintVersion: long,
  level: z.number().int().default(-1),
  services: z.array(serviceLaunchSchema).default([]),
  dryRun: z.boolean().default(false),
  /** LAUNCH_LEVEL: boot the instances, do not start the services yet (absent = false). */
  provisionOnly: z.boolean().optional(),
  issuedAt: long,
});
export type FailoverCommand = z.infer<typeof failoverCommandSchema>;

/** schemas/actuation-result.avsc. */
export interface ActuationResult {
  commandId: string;
  commandType: string;
  subject: string;
  provider: string;
  epoch: number;
  status: ActuationStatus;
  retriable: boolean;
  address: string;
  lagBytes: number | null;
  lagMs: number | null;
  durationMs: number;
  attempt: number;
  detail: string;
  timestamp: number;
}

/** A command of either topic, tagged so handlers can narrow on `source`. */
export type ActuatorCommand =
  | { source: 'shadow'; command: ShadowCommand }
  | { source: 'failover'; command: FailoverCommand };

/** The resource a command acts on: the fencing and idempotency scope. */
export function subjectOf(c: ActuatorCommand): string {
  return c.source === 'shadow' ? c.command.resourceId : c.command.primaryRegion;
}

/** What a provider reports back for one command; the consumer adds ids, timing and attempt. */
export interface Outcome {
  /**
   * SUCCEEDED by default; IN_PROGRESS when the action continues (a shadow still syncing);
   * REJECTED_STALE_EPOCH when the resource itself holds a newer epoch than the command's (a
   * provider that fences at the resource, e.g. DNS), so nothing was changed.
   */
  status?: 'SUCCEEDED' | 'IN_PROGRESS' | 'REJECTED_STALE_EPOCH';
  address?: string;
  lagBytes?: number | null;
  lagMs?: number | null;
  detail?: string;
}

/** Passed to each provider call. */
export interface ActuationContext {
  /** 1-based attempt of this delivery (retries of a transient failure increment it). */
  attempt: number;
  /** Aborted when the consumer stops; long waits must honour it. */
  signal: AbortSignal;
  /** Publishes an interim IN_PROGRESS result (e.g. replication lag while a shadow syncs). */
  progress(outcome: Outcome): Promise<void>;
}

/**
 * One actuator. Every verb is optional: a provider implements the ones it can carry out and
 * `accepts` decides which commands are its business (others are skipped without a result, since
 * several providers read the same topics in their own consumer groups).
 */
export interface ActuatorProvider {
  readonly name: string;
  accepts(c: ActuatorCommand): boolean;
  /** Start a passive shadow on the target host (replicating, not serving). */
  createShadow?(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome>;
  /** Report the shadow's replication offset / lag. */
  reportSync?(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome>;
  /** Make the shadow the primary (and fence the old primary if it is reachable). */
  promote?(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome>;
  /** Stop and remove the shadow. */
  retire?(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome>;
  /** Send the resource's traffic to targetAddress (load balancer, DNS, ...). */
  redirect?(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome>;
  /** Make primaryAddress refuse writes / traffic. */
  fence?(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome>;
  /** No shadow exists: deploy a fresh instance the standard way. */
  deployStandard?(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome>;
  /** A region failover step (launch a blueprint level, networking, traffic, replication, abort). */
  failoverStep?(cmd: FailoverCommand, ctx: ActuationContext): Promise<Outcome>;
  /**
   * Called instead of the verb when an earlier run of this command was interrupted after it
   * started (the ledger holds its intent but no outcome; the process died, possibly after acting).
   * It must only look, never act: return the outcome when the command's effect is already in place
   * (it is recorded without acting again), or undefined when it is not (the verb then runs; it may
   * find a half-done effect and must finish it rather than start over). A provider without it has
   * its verb re-run, which is safe only because every verb converges to the same state.
   */
  reconcile?(c: ActuatorCommand, ctx: ActuationContext): Promise<Outcome | undefined>;
  close?(): Promise<void>;
}

export type ProviderVerb = Exclude<keyof ActuatorProvider, 'name' | 'accepts' | 'close' | 'reconcile'>;

export const VERB_OF_SHADOW_TYPE: Record<ShadowCommandType, ProviderVerb> = {
  CREATE: 'createShadow',
  REPORT_SYNC: 'reportSync',
  PROMOTE: 'promote',
  RETIRE: 'retire',
  REDIRECT: 'redirect',
  FENCE: 'fence',
  DEPLOY_STANDARD: 'deployStandard',
};

/** True when the provider implements the verb the command needs. */
export function implementsCommand(p: ActuatorProvider, c: ActuatorCommand): boolean {
  if (c.source === 'failover') return typeof p.failoverStep === 'function';
  return typeof p[VERB_OF_SHADOW_TYPE[c.command.type]] === 'function';
}
