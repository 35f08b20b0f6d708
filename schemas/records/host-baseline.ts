/** HostBaseline, the value of health.baselines (compacted, key = host): a host's published health baseline. */
import { z } from 'zod';
import { count, epochMs, fields, finite, id, nonNegative, nullable } from '../../streams/validation/checks.js';
import { defineRecord, type RecordValue } from '../record.js';

const metricBaseline = fields({
  mean: finite(),
  stddev: nonNegative(),
  median: finite(),
  mad: nonNegative(),
  p50: finite(),
  p95: finite(),
  p99: finite(),
  seasonalMedian: nullable(finite()),
  count: count(),
});

export const HOST_BASELINE_RECORD = defineRecord({
  file: 'host-baseline',
  schema: {
    type: 'record',
    name: 'HostBaseline',
    namespace: 'dev.foreshadow',
    doc: 'Per-host health baseline (topic health.baselines, compacted, key = host).',
    fields: [
      { name: 'host', type: 'string' },
      { name: 'region', type: 'string' },
      { name: 'zone', type: 'string', default: '' },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'warm', type: 'boolean', doc: 'true once every tracked metric is past warm-up' },
      { name: 'sampleCount', type: 'long' },
      {
        name: 'metrics',
        type: {
          type: 'map',
          values: {
            type: 'record',
            name: 'MetricBaseline',
            fields: [
              { name: 'mean', type: 'double' },
              { name: 'stddev', type: 'double' },
              { name: 'median', type: 'double' },
              { name: 'mad', type: 'double', doc: 'median absolute deviation' },
              { name: 'p50', type: 'double' },
              { name: 'p95', type: 'double' },
              { name: 'p99', type: 'double' },
              {
                name: 'seasonalMedian',
                type: ['null', 'double'],
                default: null,
                doc: 'median for the current hour-of-week slot, when known',
              },
              { name: 'count', type: 'long' },
              { name: 'warm', type: 'boolean' },
            ],
          },
        },
      },
    ],
  },
  checks: (clock) =>
    fields({
      host: id(),
      timestamp: epochMs(clock),
      sampleCount: count(),
      metrics: z.record(z.string().min(1), metricBaseline),
    }),
});

export type HostBaseline = RecordValue<typeof HOST_BASELINE_RECORD>;
/** One metric's baseline, as published. */
export type MetricBaseline = HostBaseline['metrics'][string];
