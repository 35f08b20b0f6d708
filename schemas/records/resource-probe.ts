/**
 * ResourceProbe, the value of resource.probes (key = resourceId): one probe of a resource from one
 * vantage point. The failure detector publishes a failure only when a quorum of vantages agree.
 */
import { z } from 'zod';
import { count, epochMs, fields, id, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';

const PROBE_METHOD = {
  type: 'enum',
  name: 'ProbeMethod',
  symbols: ['REDIS_ROLE', 'TCP_CONNECT', 'OTHER'],
  default: 'OTHER',
} as const;
export const PROBE_METHODS = PROBE_METHOD.symbols;
export type ProbeMethod = AvroValue<typeof PROBE_METHOD>;

/**
 * OK: answered as expected. REFUSED: nothing listens (connection refused or reset: the process is
 * gone). TIMEOUT: no answer in time (hung, paused, host or network down). WRONG_ROLE: answered in
 * a role it should not have (a primary that is a replica). ERROR: any other failed answer.
 * STALLED: the prober itself was frozen or starved while probing, so the probe proves nothing.
 */
const PROBE_OUTCOME = {
  type: 'enum',
  name: 'ProbeOutcome',
  symbols: ['OK', 'REFUSED', 'TIMEOUT', 'WRONG_ROLE', 'ERROR', 'STALLED'],
  default: 'ERROR',
} as const;
export const PROBE_OUTCOMES = PROBE_OUTCOME.symbols;
export type ProbeOutcome = AvroValue<typeof PROBE_OUTCOME>;

export const RESOURCE_PROBE_RECORD = defineRecord({
  file: 'resource-probe',
  schema: {
    type: 'record',
    name: 'ResourceProbe',
    namespace: 'dev.foreshadow',
    doc: 'One probe of a resource from one vantage point (topic resource.probes, key = resourceId). The failure detector publishes a failure only when a quorum of vantage points agree.',
    fields: [
      { name: 'resourceId', type: 'string' },
      { name: 'host', type: 'string', doc: 'the host the resource runs on (the failure is reported for it)' },
      { name: 'region', type: 'string', default: '' },
      { name: 'kind', type: 'string', doc: 'resource kind (redis, postgres, ...)' },
      { name: 'address', type: 'string', doc: 'host:port probed' },
      { name: 'vantage', type: 'string', doc: 'the prober instance that made the observation' },
      { name: 'method', type: PROBE_METHOD },
      {
        name: 'outcome',
        type: PROBE_OUTCOME,
        doc: 'STALLED: the prober itself was frozen or starved during the probe, so the probe says nothing about the resource',
      },
      { name: 'expectedRole', type: 'string', default: '' },
      { name: 'observedRole', type: 'string', default: '' },
      { name: 'startedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'when the probe finished' },
      { name: 'latencyMs', type: 'long', default: 0 },
      { name: 'intervalMs', type: 'long', doc: 'the probe interval of this resource at this vantage' },
      {
        name: 'downAfterMs',
        type: 'long',
        doc: 'how long the resource must fail to answer before this vantage votes it down',
      },
      { name: 'detail', type: 'string', default: '' },
    ],
  },
  // A probe that finished before it started, a negative interval or a down-after of 0 would make
  // the quorum judge vote on nonsense.
  checks: (clock) =>
    fields({
      resourceId: id(),
      host: id(),
      address: id(),
      vantage: id(),
      method: oneOf(PROBE_METHODS),
      outcome: oneOf(PROBE_OUTCOMES),
      startedAt: epochMs(clock),
      timestamp: epochMs(clock),
      latencyMs: count(),
      intervalMs: z.number().int().min(1),
      downAfterMs: z.number().int().min(1),
    }).refine((p) => p.startedAt === undefined || p.timestamp === undefined || p.startedAt <= p.timestamp, {
      message: 'finished before it started',
      path: ['timestamp'],
    }),
});

export type ResourceProbe = RecordValue<typeof RESOURCE_PROBE_RECORD>;
