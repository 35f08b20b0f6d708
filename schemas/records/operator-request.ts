/**
 * OperatorRequest, the value of operator.requests (key = resourceId or region): an operating call
 * made through the HTTP API, for the shadow manager and the failover orchestrator to act on.
 */
import { epochMs, fields, id, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';

const OPERATOR_REQUEST_TYPE = {
  type: 'enum',
  name: 'OperatorRequestType',
  symbols: ['CREATE_SHADOW', 'PROMOTE_SHADOW', 'RETIRE_SHADOW', 'REGION_FAILOVER'],
} as const;
export const OPERATOR_REQUEST_TYPES = OPERATOR_REQUEST_TYPE.symbols;
export type OperatorRequestType = AvroValue<typeof OPERATOR_REQUEST_TYPE>;

export const OPERATOR_REQUEST_RECORD = defineRecord({
  file: 'operator-request',
  schema: {
    type: 'record',
    name: 'OperatorRequest',
    namespace: 'dev.foreshadow',
    doc: 'An operating call made through the HTTP API (topic operator.requests, key = resourceId or region). The shadow manager and failover orchestrator act on it; the API keeps no private state.',
    fields: [
      { name: 'requestId', type: 'string' },
      { name: 'type', type: OPERATOR_REQUEST_TYPE },
      { name: 'subject', type: 'string' },
      { name: 'targetHost', type: 'string', default: '' },
      { name: 'dryRun', type: 'boolean', default: false },
      { name: 'principal', type: 'string' },
      { name: 'requestedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  },
  checks: (clock) =>
    fields({
      requestId: id(),
      type: oneOf(OPERATOR_REQUEST_TYPES),
      subject: id(),
      requestedAt: epochMs(clock),
    }),
});

export type OperatorRequest = RecordValue<typeof OPERATOR_REQUEST_RECORD>;
