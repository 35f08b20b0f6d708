/** ShadowState, the value of shadow.state (compacted, key = resourceId): the lifecycle state of a resource's shadow. */
import { count, epochMs, fields, id, nonNegative, nullable, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';
import { CRITICALITY_TIERS } from './deployment.js';

const SHADOW_LIFECYCLE_ENUM = {
  type: 'enum',
  name: 'ShadowLifecycle',
  symbols: ['QUEUED', 'REQUESTED', 'PROVISIONING', 'SYNCING', 'READY', 'PROMOTED', 'RETIRED', 'FAILED'],
} as const;
export const SHADOW_LIFECYCLE = SHADOW_LIFECYCLE_ENUM.symbols;
export type ShadowLifecycle = AvroValue<typeof SHADOW_LIFECYCLE_ENUM>;

export const SHADOW_STATE_RECORD = defineRecord({
  file: 'shadow-state',
  schema: {
    type: 'record',
    name: 'ShadowState',
    namespace: 'dev.foreshadow',
    doc: "Lifecycle state of a resource's shadow (topic shadow.state, compacted, key = resourceId).",
    fields: [
      { name: 'resourceId', type: 'string' },
      { name: 'kind', type: 'string' },
      { name: 'region', type: 'string' },
      { name: 'primaryHost', type: 'string' },
      { name: 'shadowHost', type: 'string', default: '' },
      { name: 'shadowAddress', type: 'string', default: '' },
      { name: 'state', type: SHADOW_LIFECYCLE_ENUM },
      { name: 'epoch', type: 'long' },
      { name: 'tier', type: 'string', default: 'MEDIUM' },
      { name: 'priority', type: 'double', default: 0 },
      { name: 'lagBytes', type: ['null', 'long'], default: null },
      { name: 'lagMs', type: ['null', 'long'], default: null },
      { name: 'attempts', type: 'int', default: 0 },
      { name: 'reason', type: 'string', default: '' },
      { name: 'createdAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'updatedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'shadowMs', type: 'long', default: 0, doc: 'accumulated shadow lifetime, for cost accounting' },
      {
        name: 'advisory',
        type: 'boolean',
        default: false,
        doc: 'a recommended shadow (advise mode): its commands were recorded, none carried out',
      },
    ],
  },
  checks: (clock) =>
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
    }),
});

export type ShadowState = RecordValue<typeof SHADOW_STATE_RECORD>;
