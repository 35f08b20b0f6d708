/** Host, the value of the hosts table (compacted, key = host): a host's capacity, failure domain and state. */
import { z } from 'zod';
import { count, epochMs, fields, id, nonNegative, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';

const HOST_STATE = {
  type: 'enum',
  name: 'HostState',
  symbols: ['UP', 'DRAINING', 'DOWN', 'MAINTENANCE'],
  default: 'UP',
} as const;
export const HOST_STATES = HOST_STATE.symbols;
export type HostState = AvroValue<typeof HOST_STATE>;

export const HOST_RECORD = defineRecord({
  file: 'host',
  schema: {
    type: 'record',
    name: 'Host',
    namespace: 'dev.foreshadow',
    doc: "A host's capacity and failure domain (table topic hosts, compacted, key = host).",
    fields: [
      { name: 'host', type: 'string' },
      { name: 'region', type: 'string' },
      { name: 'zone', type: 'string', default: '' },
      { name: 'rack', type: 'string', default: '' },
      { name: 'address', type: 'string', default: '' },
      { name: 'cpuCores', type: 'double' },
      { name: 'memoryMb', type: 'long' },
      { name: 'state', type: HOST_STATE },
      { name: 'labels', type: { type: 'map', values: 'string' }, default: {} },
      { name: 'updatedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  },
  checks: (clock) =>
    fields({
      host: id(),
      region: z.string(),
      cpuCores: nonNegative(),
      memoryMb: count(),
      state: oneOf(HOST_STATES),
      updatedAt: epochMs(clock),
    }),
});

export type Host = RecordValue<typeof HOST_RECORD>;
