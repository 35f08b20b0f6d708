/**
 * Command identity and fencing. A command id is derived only from the decision's inputs (resource,
 * epoch, placement, attempt, poll), never from clocks or randomness, so a replayed decision (after a
 * crash between produce and commit) yields the same id and the idempotent actuator acts once.
 * Epochs are per resource and rise on every promotion (and standard redeployment); an actuator
 * remembers the highest epoch it saw per resource and refuses anything older (`isStaleEpoch`).
 */
import type { ShadowCommand, ShadowCommandType } from '../../../schemas/records/shadow-command.js';
import type { ShadowRecord } from './types.js';

export interface CommandIdParts {
  type: ShadowCommandType;
  resourceId: string;
  epoch: number;
  /** Shadow cycle: ids of a later shadow of the same resource must never collide with earlier ones. */
  cycle?: number;
  placement?: number;
  attempt?: number;
  seq?: number;
}

export function shadowCommandId(p: CommandIdParts): string {
  const parts = [p.type.toLowerCase(), p.resourceId, `e${p.epoch}`];
  if (p.cycle !== undefined) parts.push(`c${p.cycle}`);
  if (p.placement !== undefined) parts.push(`p${p.placement}`);
  if (p.attempt !== undefined) parts.push(`a${p.attempt}`);
  if (p.seq !== undefined) parts.push(`s${p.seq}`);
  return parts.join(':');
}

/** Fencing rule shared with the actuators: a command older than the highest epoch seen is refused. */
export function isStaleEpoch(commandEpoch: number, highestSeen: number | undefined): boolean {
  return highestSeen !== undefined && commandEpoch < highestSeen;
}

export interface CommandFields {
  type: ShadowCommandType;
  commandId: string;
  epoch: number;
  targetHost: string;
  targetAddress: string;
  reason: string;
  issuedAt: number;
  attempt: number;
}

/** A command about a shadow record, carrying the primary's identity and the resource's configuration. */
export function commandFor(r: ShadowRecord, f: CommandFields): ShadowCommand {
  return {
    commandId: f.commandId,
    type: f.type,
    resourceId: r.resourceId,
    kind: r.kind,
    epoch: f.epoch,
    primaryHost: r.primaryHost,
    primaryAddress: r.primaryAddress,
    targetHost: f.targetHost,
    targetAddress: f.targetAddress,
    region: r.region,
    zone: r.zone,
    tier: r.tier,
    priority: r.priority,
    config: r.config,
    reason: f.reason,
    issuedAt: f.issuedAt,
    attempt: f.attempt,
    advisory: r.advisory === true,
  };
}
