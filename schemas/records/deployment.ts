/**
 * Deployment, the value of the deployments table (compacted, key = resourceId): a resource, the
 * host it runs on, its criticality and the outcome of its latest deployment.
 */
import { z } from 'zod';
import { count, epochMs, fields, id, nonNegative, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';

const CRITICALITY_TIER = {
  type: 'enum',
  name: 'CriticalityTier',
  symbols: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'],
  default: 'MEDIUM',
} as const;
export const CRITICALITY_TIERS = CRITICALITY_TIER.symbols;
export type CriticalityTier = AvroValue<typeof CRITICALITY_TIER>;

const DEPLOYMENT_OUTCOME = {
  type: 'enum',
  name: 'DeploymentOutcome',
  symbols: ['SUCCEEDED', 'FAILED', 'PENDING', 'REMOVED'],
  default: 'SUCCEEDED',
} as const;
export const DEPLOYMENT_OUTCOMES = DEPLOYMENT_OUTCOME.symbols;
export type DeploymentOutcome = AvroValue<typeof DEPLOYMENT_OUTCOME>;

export const DEPLOYMENT_RECORD = defineRecord({
  file: 'deployment',
  schema: {
    type: 'record',
    name: 'Deployment',
    namespace: 'dev.foreshadow',
    doc: 'A resource deployed on a host, and the outcome of its latest deployment (table topic deployments, compacted, key = resourceId).',
    fields: [
      { name: 'resourceId', type: 'string' },
      { name: 'kind', type: 'string', doc: 'resource kind, e.g. redis, service, postgres' },
      { name: 'service', type: 'string', default: '' },
      { name: 'host', type: 'string' },
      { name: 'region', type: 'string' },
      { name: 'zone', type: 'string', default: '' },
      { name: 'rack', type: 'string', default: '' },
      { name: 'tier', type: CRITICALITY_TIER },
      { name: 'config', type: { type: 'map', values: 'string' }, default: {} },
      { name: 'configRef', type: 'string', default: '' },
      {
        name: 'replication',
        type: 'boolean',
        default: false,
        doc: 'whether the resource supports a passive replica',
      },
      { name: 'address', type: 'string', default: '', doc: 'host:port the resource serves on' },
      { name: 'cpu', type: 'double', default: 1.0 },
      { name: 'memoryMb', type: 'long', default: 1024 },
      { name: 'outcome', type: DEPLOYMENT_OUTCOME },
      { name: 'deployedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  },
  checks: (clock) =>
    fields({
      resourceId: id(),
      host: z.string(),
      region: z.string(),
      tier: oneOf(CRITICALITY_TIERS),
      cpu: nonNegative(),
      memoryMb: count(),
      outcome: oneOf(DEPLOYMENT_OUTCOMES),
      deployedAt: epochMs(clock),
    }),
});

export type Deployment = RecordValue<typeof DEPLOYMENT_RECORD>;
