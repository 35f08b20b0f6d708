/**
 * ShadowCommand, the value of shadow.commands (key = resourceId): an action on one resource's
 * shadow for the actuators. commandId is the idempotency key; epoch, a fencing token, is never
 * negative. An advisory command (advise mode) is a recommendation no actuator carries out.
 */
import { count, epochMs, fields, id, nonNegative, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';
import { CRITICALITY_TIERS } from './deployment.js';

const SHADOW_COMMAND_TYPE = {
  type: 'enum',
  name: 'ShadowCommandType',
  symbols: ['CREATE', 'RETIRE', 'PROMOTE', 'FENCE', 'REDIRECT', 'DEPLOY_STANDARD', 'REPORT_SYNC'],
} as const;
export const SHADOW_COMMAND_TYPES = SHADOW_COMMAND_TYPE.symbols;
export type ShadowCommandType = AvroValue<typeof SHADOW_COMMAND_TYPE>;

export const SHADOW_COMMAND_RECORD = defineRecord({
  file: 'shadow-command',
  schema: {
    type: 'record',
    name: 'ShadowCommand',
    namespace: 'dev.foreshadow',
    doc: "An action on one resource's shadow for the actuators (topic shadow.commands, key = resourceId). commandId is the idempotency key; epoch fences stale commands.",
    fields: [
      { name: 'commandId', type: 'string' },
      { name: 'type', type: SHADOW_COMMAND_TYPE },
      { name: 'resourceId', type: 'string' },
      { name: 'kind', type: 'string' },
      { name: 'epoch', type: 'long' },
      { name: 'primaryHost', type: 'string' },
      { name: 'primaryAddress', type: 'string', default: '' },
      { name: 'targetHost', type: 'string', default: '' },
      { name: 'targetAddress', type: 'string', default: '' },
      { name: 'region', type: 'string' },
      { name: 'zone', type: 'string', default: '' },
      { name: 'tier', type: 'string', default: 'MEDIUM' },
      { name: 'priority', type: 'double', default: 0 },
      { name: 'config', type: { type: 'map', values: 'string' }, default: {} },
      { name: 'reason', type: 'string', default: '' },
      { name: 'issuedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'attempt', type: 'int', default: 1 },
      {
        name: 'advisory',
        type: 'boolean',
        default: false,
        doc: 'a recommendation of a manager in advise mode: recorded for operators, never carried out (actuators skip it)',
      },
    ],
  },
  checks: (clock) =>
    fields({
      commandId: id(),
      type: oneOf(SHADOW_COMMAND_TYPES),
      resourceId: id(),
      epoch: count(),
      tier: oneOf(CRITICALITY_TIERS),
      priority: nonNegative(),
      issuedAt: epochMs(clock),
      attempt: count(),
    }),
});

export type ShadowCommand = RecordValue<typeof SHADOW_COMMAND_RECORD>;
