/** FailoverEvent, the value of failover.events (key = host or region): one logged step of a host or region failover, with timings. */
import { z } from 'zod';
import { count, epochMs, fields, id, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';

const FAILOVER_SCOPE = { type: 'enum', name: 'FailoverScope', symbols: ['HOST', 'REGION'] } as const;
export const FAILOVER_SCOPES = FAILOVER_SCOPE.symbols;
export type FailoverScope = AvroValue<typeof FAILOVER_SCOPE>;

/** Failover steps are written by several planners; they are all UPPER_SNAKE names. */
const stepName = () => z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, { error: 'is not an UPPER_SNAKE step name' });

export const FAILOVER_EVENT_RECORD = defineRecord({
  file: 'failover-event',
  schema: {
    type: 'record',
    name: 'FailoverEvent',
    namespace: 'dev.foreshadow',
    doc: 'One logged step of a host or region failover, with timings (topic failover.events, key = host or region).',
    fields: [
      { name: 'eventId', type: 'string' },
      { name: 'failoverId', type: 'string' },
      { name: 'scope', type: FAILOVER_SCOPE },
      { name: 'subject', type: 'string', doc: 'host or primary region' },
      {
        name: 'step',
        type: 'string',
        doc: 'e.g. DETECTED, SHADOW_PROMOTED, TRAFFIC_REDIRECTED, STANDARD_DEPLOYMENT_REQUESTED, LEVEL_READY, REPLICATION_STARTED, COMPLETED, FAILED; safety controls: FAILOVER_SUPPRESSED, PROMOTION_HELD, FAILOVER_RECOMMENDED, PENDING_APPROVAL, APPROVED, APPROVAL_WITHDRAWN',
      },
      { name: 'resourceId', type: 'string', default: '' },
      { name: 'fromHost', type: 'string', default: '' },
      { name: 'toHost', type: 'string', default: '' },
      { name: 'epoch', type: 'long', default: 0 },
      { name: 'dryRun', type: 'boolean', default: false },
      { name: 'elapsedMs', type: 'long', default: 0, doc: 'time since the failover was detected' },
      { name: 'detail', type: 'string', default: '' },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
      {
        name: 'advisory',
        type: 'boolean',
        default: false,
        doc: 'a step recommended in advise mode: nothing was carried out',
      },
    ],
  },
  checks: (clock) =>
    fields({
      eventId: id(),
      failoverId: id(),
      scope: oneOf(FAILOVER_SCOPES),
      subject: id(),
      step: stepName(),
      epoch: count(),
      elapsedMs: count(),
      timestamp: epochMs(clock),
    }),
});

export type FailoverEvent = RecordValue<typeof FAILOVER_EVENT_RECORD>;
