/**
 * HostSample, the value of metrics.samples (key = host): one canonical metrics sample of a host, as
 * metric-ingest writes it whatever format the agent used. Metric names, units and ranges are the
 * canonical catalogue's (streams/processors/metric-ingest/canonical.ts, docs/metrics.md).
 */
import { z } from 'zod';
import { checkValue } from '../../streams/processors/metric-ingest/canonical.js';
import { epochMs, fields, id } from '../../streams/validation/checks.js';
import { defineRecord, type RecordValue } from '../record.js';

/**
 * A canonical sample's values obey the same ranges metric-ingest enforces at the edge (fractions in
 * [0, 1], non-negative gauges and rates; canonical.ts), so a sample that bypassed ingest is judged
 * alike. One plain loop rather than a zod record of refined numbers: this runs for every sample in
 * both host-health apps, and the record form cost ~13 µs a sample (the loop ~2 µs).
 */
const sampleMetrics = z
  .custom<Record<string, number>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    error: 'is not a map of metric values',
  })
  .superRefine((metrics, ctx) => {
    for (const name in metrics) {
      const value: unknown = metrics[name];
      let problem: string | undefined;
      if (name === '') problem = 'has an empty metric name';
      else if (typeof value !== 'number') problem = `is not a number (${typeof value})`;
      else {
        const checked = checkValue(name, value);
        if (typeof checked === 'string') problem = `is out of range: ${checked}`;
      }
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem, input: value });
    }
  });

export const HOST_SAMPLE_RECORD = defineRecord({
  file: 'host-sample',
  schema: {
    type: 'record',
    name: 'HostSample',
    namespace: 'dev.foreshadow',
    doc: 'Canonical host metrics sample (topic metrics.samples, key = host). Metric names and units are documented in schemas/README.md.',
    fields: [
      { name: 'host', type: 'string' },
      { name: 'region', type: 'string' },
      { name: 'zone', type: 'string', default: '' },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'metrics', type: { type: 'map', values: 'double' }, doc: 'canonical metric name -> value' },
      { name: 'tags', type: { type: 'map', values: 'string' }, default: {} },
      {
        name: 'source',
        type: 'string',
        default: 'avro',
        doc: 'input format the sample arrived in: avro, json, influx, collectd, otlp',
      },
    ],
  },
  checks: (clock) =>
    fields({
      host: id(),
      region: z.string(),
      zone: z.string(),
      timestamp: epochMs(clock),
      metrics: sampleMetrics,
    }),
});

export type HostSample = RecordValue<typeof HOST_SAMPLE_RECORD>;
