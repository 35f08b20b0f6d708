/**
 * CapacityFingerprint, the value of region.capacity (compacted, key = region): a region's capacity
 * profile. `encoded` is the versioned, compressed binary fingerprint (docs/fingerprint-format.md),
 * judged by its decoder in the consumers.
 */
import { count, epochMs, fields, id } from '../../streams/validation/checks.js';
import { defineRecord, type RecordValue } from '../record.js';

export const CAPACITY_FINGERPRINT_RECORD = defineRecord({
  file: 'capacity-fingerprint',
  schema: {
    type: 'record',
    name: 'CapacityFingerprint',
    namespace: 'dev.foreshadow',
    doc: "A region's capacity profile (topic region.capacity, compacted, key = region). `encoded` is the versioned, compressed binary fingerprint; decode it with decodeFingerprint() (streams/processors/capacity-fingerprint).",
    fields: [
      { name: 'region', type: 'string' },
      { name: 'version', type: 'long', doc: 'monotonic profile version per region' },
      { name: 'formatVersion', type: 'int' },
      { name: 'windowStart', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'windowEnd', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'hostCount', type: 'int' },
      { name: 'instanceCount', type: 'int' },
      { name: 'serviceCount', type: 'int' },
      { name: 'encoded', type: 'bytes' },
      { name: 'emittedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  },
  checks: (clock) =>
    fields({
      region: id(),
      version: count(),
      formatVersion: count(),
      windowStart: epochMs(clock),
      windowEnd: epochMs(clock),
      hostCount: count(),
      instanceCount: count(),
      serviceCount: count(),
      emittedAt: epochMs(clock),
    }).refine((r) => r.windowStart === undefined || r.windowEnd === undefined || r.windowStart <= r.windowEnd, {
      path: ['windowStart'],
      error: 'is after windowEnd',
    }),
});

export type CapacityFingerprint = RecordValue<typeof CAPACITY_FINGERPRINT_RECORD>;
