/**
 * Sanity of the operating records, beyond their Avro schemas: operator.requests
 * (operator-request.avsc), shadow.commands (shadow-command.avsc), shadow.state (shadow-state.avsc),
 * failover.commands (failover-command.avsc), failover.events (failover-event.avsc) and
 * actuation.results (actuation-result.avsc). Epochs are fencing tokens: never negative.
 */
import { z } from 'zod';
import { FAILOVER_COMMAND_TYPES } from '../processors/failover-orchestrator/types.js';
import { SHADOW_COMMAND_TYPES } from '../processors/shadow-manager/types.js';
import { count, epochMs, fields, id, nonNegative, nullable, oneOf, type ValidationClock } from './checks.js';
import { CRITICALITY_TIERS } from './host-records.js';
import { MAX_LAUNCH_LEVELS } from './region-records.js';

export const OPERATOR_REQUEST_TYPES = ['CREATE_SHADOW', 'PROMOTE_SHADOW', 'RETIRE_SHADOW', 'REGION_FAILOVER'] as const;
export const SHADOW_LIFECYCLE = [
  'QUEUED',
  'REQUESTED',
  'PROVISIONING',
  'SYNCING',
  'READY',
  'PROMOTED',
  'RETIRED',
  'FAILED',
] as const;
export const ACTUATION_STATUSES = ['SUCCEEDED', 'IN_PROGRESS', 'FAILED', 'REJECTED_STALE_EPOCH', 'DUPLICATE'] as const;
export const FAILOVER_SCOPES = ['HOST', 'REGION'] as const;
/** Every command type an actuator answers: shadow and failover commands share actuation.results. */
export const COMMAND_TYPES = [...SHADOW_COMMAND_TYPES, ...FAILOVER_COMMAND_TYPES] as const;

/** Failover steps are written by several planners; they are all UPPER_SNAKE names. */
const stepName = () => z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, { error: 'is not an UPPER_SNAKE step name' });

export const operatorRequestSchema = (clock: ValidationClock) =>
  fields({
    requestId: id(),
    type: oneOf(OPERATOR_REQUEST_TYPES),
    subject: id(),
    requestedAt: epochMs(clock),
  });

export const shadowCommandSchema = (clock: ValidationClock) =>
  fields({
    commandId: id(),
    type: oneOf(SHADOW_COMMAND_TYPES),
    resourceId: id(),
    epoch: count(),
    tier: oneOf(CRITICALITY_TIERS),
    priority: nonNegative(),
    issuedAt: epochMs(clock),
    attempt: count(),
  });

export const shadowStateSchema = (clock: ValidationClock) =>
  fields({
    resourceId: id(),
    state: oneOf(SHADOW_LIFECYCLE),
    epoch: count(),
    tier: oneOf(CRITICALITY_TIERS),
    priority: nonNegative(),
    lagBytes: nullable(count()),
    lagMs: nullable(count()),
    attempts: count(),
    createdAt: epochMs(clock),
    updatedAt: epochMs(clock),
    shadowMs: count(),
  });

export const failoverCommandSchema = (clock: ValidationClock) =>
  fields({
    commandId: id(),
    failoverId: id(),
    type: oneOf(FAILOVER_COMMAND_TYPES),
    primaryRegion: id(),
    epoch: count(),
    blueprintVersion: count(),
    // -1: not a launch step.
    level: z
      .number()
      .int()
      .min(-1)
      .max(MAX_LAUNCH_LEVELS - 1),
    services: z.array(
      fields({ service: id(), instances: count(), cpuPerInstance: nonNegative(), memoryMbPerInstance: count() }),
    ),
    issuedAt: epochMs(clock),
  });

export const failoverEventSchema = (clock: ValidationClock) =>
  fields({
    eventId: id(),
    failoverId: id(),
    scope: oneOf(FAILOVER_SCOPES),
    subject: id(),
    step: stepName(),
    epoch: count(),
    elapsedMs: count(),
    timestamp: epochMs(clock),
  });

export const actuationResultSchema = (clock: ValidationClock) =>
  fields({
    commandId: id(),
    commandType: oneOf(COMMAND_TYPES),
    subject: id(),
    epoch: count(),
    status: oneOf(ACTUATION_STATUSES),
    lagBytes: nullable(count()),
    lagMs: nullable(count()),
    durationMs: count(),
    attempt: count(),
    timestamp: epochMs(clock),
  });
