/**
 * The actuator contract: the command records read from shadow.commands / failover.commands and the
 * result record written to actuation.results (defined once in schemas/records/, re-exported here
 * as part of the contract), and the provider interface every actuator implements. Providers only
 * do the side effect (and, after a crash, tell whether it is already done); idempotency, fencing,
 * retries and result production live once in the command consumer (consumer.ts).
 */
import {
  ACTUATION_STATUSES,
  type ActuationResult,
  type ActuationStatus,
} from '../../schemas/records/actuation-result.js';
import {
  FAILOVER_COMMAND_TYPES,
  type FailoverCommand,
  type FailoverCommandType,
  type ServiceLaunch,
} from '../../schemas/records/failover-command.js';
import {
  SHADOW_COMMAND_TYPES,
  type ShadowCommand,
  type ShadowCommandType,
} from '../../schemas/records/shadow-command.js';

export {
  ACTUATION_STATUSES,
  type ActuationResult,
  type ActuationStatus,
  FAILOVER_COMMAND_TYPES,
  type FailoverCommand,
  type FailoverCommandType,
  type ServiceLaunch,
  SHADOW_COMMAND_TYPES,
  type ShadowCommand,
  type ShadowCommandType,
};

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
