/**
 * ActuationResult, the value of actuation.results (key = resourceId or region): what an actuator
 * did with a shadow or failover command.
 */
import { count, epochMs, fields, id, nullable, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';
import { FAILOVER_COMMAND_TYPES } from './failover-command.js';
import { SHADOW_COMMAND_TYPES } from './shadow-command.js';

const ACTUATION_STATUS = {
  type: 'enum',
  name: 'ActuationStatus',
  symbols: ['SUCCEEDED', 'IN_PROGRESS', 'FAILED', 'REJECTED_STALE_EPOCH', 'DUPLICATE'],
} as const;
export const ACTUATION_STATUSES = ACTUATION_STATUS.symbols;
export type ActuationStatus = AvroValue<typeof ACTUATION_STATUS>;

/** Every command type an actuator answers: shadow and failover commands share actuation.results. */
export const COMMAND_TYPES = [...SHADOW_COMMAND_TYPES, ...FAILOVER_COMMAND_TYPES] as const;

export const ACTUATION_RESULT_RECORD = defineRecord({
  file: 'actuation-result',
  schema: {
    type: 'record',
    name: 'ActuationResult',
    namespace: 'dev.foreshadow',
    doc: 'What an actuator did with a command (topic actuation.results, key = resourceId or region).',
    fields: [
      { name: 'commandId', type: 'string' },
      { name: 'commandType', type: 'string' },
      { name: 'subject', type: 'string', doc: 'resourceId or region' },
      { name: 'provider', type: 'string' },
      { name: 'epoch', type: 'long' },
      { name: 'status', type: ACTUATION_STATUS },
      { name: 'retriable', type: 'boolean', default: false },
      { name: 'address', type: 'string', default: '', doc: 'where the shadow or new instance serves' },
      { name: 'lagBytes', type: ['null', 'long'], default: null },
      { name: 'lagMs', type: ['null', 'long'], default: null },
      { name: 'durationMs', type: 'long', default: 0 },
      { name: 'attempt', type: 'int', default: 1 },
      { name: 'detail', type: 'string', default: '' },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  },
  checks: (clock) =>
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
    }),
});

export type ActuationResult = RecordValue<typeof ACTUATION_RESULT_RECORD>;
