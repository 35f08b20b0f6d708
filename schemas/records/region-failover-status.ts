/**
 * RegionFailoverStatus, the value of region.failovers (compacted, key = primary region): where the
 * region's latest real failover stands, as the failover orchestrator holds it — above all whether
 * one waits for an operator's approval (PENDING_APPROVAL). The API's GET /regions/{id}/failover and
 * the dashboard read it. Drills are not tracked here (their steps are on failover.events).
 */
import { count, epochMs, fields, id, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';

const REGION_FAILOVER_PHASE = {
  type: 'enum',
  name: 'RegionFailoverPhase',
  symbols: ['NONE', 'PENDING_APPROVAL', 'SUPPRESSED', 'RUNNING', 'RECOMMENDED', 'COMPLETED', 'FAILED', 'ABORTED'],
} as const;
export const REGION_FAILOVER_PHASES = REGION_FAILOVER_PHASE.symbols;
export type RegionFailoverPhase = AvroValue<typeof REGION_FAILOVER_PHASE>;

export const REGION_FAILOVER_STATUS_RECORD = defineRecord({
  file: 'region-failover-status',
  schema: {
    type: 'record',
    name: 'RegionFailoverStatus',
    namespace: 'dev.foreshadow',
    doc: "Where a region's latest real failover stands (topic region.failovers, compacted, key = primary region): NONE, PENDING_APPROVAL (region health FAILED, waiting for an operator), SUPPRESSED (paused or in maintenance), RUNNING, RECOMMENDED (advise mode), COMPLETED, FAILED, ABORTED.",
    fields: [
      { name: 'region', type: 'string' },
      { name: 'status', type: REGION_FAILOVER_PHASE },
      { name: 'failoverId', type: 'string', default: '' },
      { name: 'epoch', type: 'long', default: 0 },
      { name: 'step', type: 'string', default: '', doc: 'the running failover step (LAUNCH, NETWORKING, ...)' },
      { name: 'trigger', type: 'string', default: '', doc: 'what started it or asks for approval' },
      { name: 'advisory', type: 'boolean', default: false },
      { name: 'since', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'when this status began' },
      { name: 'updatedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'detail', type: 'string', default: '' },
    ],
  },
  checks: (clock) =>
    fields({
      region: id(),
      status: oneOf(REGION_FAILOVER_PHASES),
      epoch: count(),
      since: epochMs(clock),
      updatedAt: epochMs(clock),
    }),
});

export type RegionFailoverStatus = RecordValue<typeof REGION_FAILOVER_STATUS_RECORD>;
