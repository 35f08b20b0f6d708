/** RegionHealth, the value of region.health (compacted, key = region): the health of a primary region. */
import { count, epochMs, fields, id, oneOf, probability } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';

const REGION_STATUS = { type: 'enum', name: 'RegionStatus', symbols: ['HEALTHY', 'DEGRADED', 'FAILED'] } as const;
export const REGION_STATUSES = REGION_STATUS.symbols;
export type RegionStatus = AvroValue<typeof REGION_STATUS>;

export const REGION_HEALTH_RECORD = defineRecord({
  file: 'region-health',
  schema: {
    type: 'record',
    name: 'RegionHealth',
    namespace: 'dev.foreshadow',
    doc: 'Health of a primary region (topic region.health, compacted, key = region).',
    fields: [
      { name: 'region', type: 'string' },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'status', type: REGION_STATUS },
      { name: 'hostCount', type: 'int' },
      { name: 'hostsAtRisk', type: 'int' },
      { name: 'hostsFailed', type: 'int' },
      { name: 'meanPFail', type: 'double' },
      { name: 'reasons', type: { type: 'array', items: 'string' } },
    ],
  },
  checks: (clock) =>
    fields({
      region: id(),
      timestamp: epochMs(clock),
      status: oneOf(REGION_STATUSES),
      hostCount: count(),
      hostsAtRisk: count(),
      hostsFailed: count(),
      meanPFail: probability(),
    }).superRefine((h, ctx) => {
      for (const f of ['hostsAtRisk', 'hostsFailed'] as const)
        if (h.hostCount !== undefined && (h[f] ?? 0) > h.hostCount)
          ctx.addIssue({ code: 'custom', path: [f], message: `is ${h[f]}, more than hostCount ${h.hostCount}` });
    }),
});

export type RegionHealth = RecordValue<typeof REGION_HEALTH_RECORD>;
