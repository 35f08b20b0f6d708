/**
 * HostRisk, the value of health.risk (key = host): the predicted probability that a host fails
 * within the horizon, with the evidence behind it.
 */
import { z } from 'zod';
import {
  count,
  epochMs,
  fields,
  finite,
  id,
  nonNegative,
  nullable,
  oneOf,
  probability,
} from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';

const RISK_LEVEL = { type: 'enum', name: 'RiskLevel', symbols: ['OK', 'WATCH', 'WARNING', 'CRITICAL'] } as const;
export const RISK_LEVELS = RISK_LEVEL.symbols;
export type RiskLevel = AvroValue<typeof RISK_LEVEL>;

export const HOST_RISK_RECORD = defineRecord({
  file: 'host-risk',
  schema: {
    type: 'record',
    name: 'HostRisk',
    namespace: 'dev.foreshadow',
    doc: 'Predicted probability that a host fails within the horizon (topic health.risk, key = host). The shadow trigger is deviating && rising && pFail >= threshold.',
    fields: [
      { name: 'host', type: 'string' },
      { name: 'region', type: 'string' },
      { name: 'zone', type: 'string', default: '' },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'horizonMs', type: 'long' },
      { name: 'pFail', type: 'double' },
      { name: 'level', type: RISK_LEVEL },
      { name: 'trend', type: 'double', doc: 'change of pFail per hour over the recent window' },
      { name: 'rising', type: 'boolean' },
      { name: 'deviating', type: 'boolean', doc: 'at least one metric deviates from its baseline' },
      { name: 'deviationScore', type: 'double' },
      { name: 'timeToFailureMs', type: ['null', 'long'], default: null },
      {
        name: 'drivers',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'RiskDriver',
            fields: [
              { name: 'feature', type: 'string' },
              { name: 'value', type: 'double' },
              { name: 'contribution', type: 'double' },
            ],
          },
        },
      },
      { name: 'modelVersion', type: 'string' },
    ],
  },
  checks: (clock) =>
    fields({
      host: id(),
      region: z.string(),
      timestamp: epochMs(clock),
      horizonMs: count(),
      pFail: probability(),
      level: oneOf(RISK_LEVELS),
      trend: finite(),
      deviationScore: nonNegative(),
      timeToFailureMs: nullable(count()),
      drivers: z.array(fields({ feature: id(), value: finite(), contribution: finite() })),
    }),
});

export type HostRisk = RecordValue<typeof HOST_RISK_RECORD>;
/** One feature's share of a risk score. */
export type RiskDriver = HostRisk['drivers'][number];
