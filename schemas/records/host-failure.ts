/**
 * HostFailure, the value of host.failures (key = host): a host failed, or one resource on it
 * (`resourceId` set), as monitoring, alerts, operators, the failure detector or heartbeat loss saw it.
 */
import { z } from 'zod';
import { epochMs, fields, id, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';

const FAILURE_KIND = {
  type: 'enum',
  name: 'FailureKind',
  symbols: ['CRASH', 'HARDWARE', 'NETWORK', 'DISK', 'MEMORY', 'HEARTBEAT_LOST', 'MANUAL', 'OTHER'],
  default: 'OTHER',
} as const;
export const FAILURE_KINDS = FAILURE_KIND.symbols;
export type FailureKind = AvroValue<typeof FAILURE_KIND>;

export const HOST_FAILURE_RECORD = defineRecord({
  file: 'host-failure',
  schema: {
    type: 'record',
    name: 'HostFailure',
    namespace: 'dev.foreshadow',
    doc: "A host failed, or one resource on it (resourceId set) (topic host.failures, key = host): from monitoring, alerts, operators, the failure detector's probes or heartbeat loss.",
    fields: [
      { name: 'host', type: 'string' },
      { name: 'region', type: 'string', default: '' },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'kind', type: FAILURE_KIND },
      { name: 'source', type: 'string', default: 'external' },
      { name: 'detail', type: 'string', default: '' },
      {
        name: 'resourceId',
        type: 'string',
        default: '',
        doc: 'set when one resource on the host failed (not the host): only that resource fails over',
      },
    ],
  },
  checks: (clock) => fields({ host: id(), region: z.string(), timestamp: epochMs(clock), kind: oneOf(FAILURE_KINDS) }),
});

export type HostFailure = RecordValue<typeof HOST_FAILURE_RECORD>;
