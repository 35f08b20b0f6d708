/**
 * Foreshadow's own sample formats: the Avro HostSample (already decoded by the registry serde) and
 * its plain-JSON twin. JSON adds two conveniences for simple agents: `timestamp` may be epoch s/ms
 * or an ISO string, and `counters` carries cumulative counts under the canonical rate name they
 * become (e.g. `"net.rx_bytes_per_sec": 123456789` = bytes received since boot).
 */
import { z } from 'zod';
import {
  epochMillis,
  IngestRejection,
  type InputFormat,
  type Observation,
  type ParsedSample,
  placement,
} from './types.js';

const timestamp = z.union([z.number(), z.string(), z.date()]).transform((v, ctx) => {
  const t =
    v instanceof Date
      ? v.getTime()
      : typeof v === 'number'
        ? epochMillis(v)
        : /^\d+$/.test(v)
          ? epochMillis(Number(v))
          : Date.parse(v);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: `unreadable timestamp ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return t;
});

// Numbers are checked later (NaN/negative → dead letter with the metric named), so accept any here;
// JSON cannot carry NaN, but "NaN" strings and nulls show up from sloppy agents.
const metricValue = z.union([z.number(), z.string(), z.null()]).transform((v) => (v === null ? Number.NaN : Number(v)));

export const jsonSampleSchema = z.object({
  host: z.string().min(1),
  region: z.string().optional(),
  zone: z.string().optional(),
  timestamp,
  metrics: z.record(z.string(), metricValue).default({}),
  counters: z.record(z.string(), metricValue).default({}),
  tags: z.record(z.string(), z.string()).default({}),
  source: z.string().optional(),
});

export function parseJsonSample(json: unknown, source: InputFormat = 'json'): ParsedSample {
  const parsed = jsonSampleSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IngestRejection(
      `${source}: ${issue ? `${issue.path.join('.') || 'sample'}: ${issue.message}` : 'invalid sample'}`,
      source,
    );
  }
  const s = parsed.data;
  const observations: Observation[] = [
    ...Object.entries(s.metrics).map(([name, value]): Observation => ({ name, value, kind: 'gauge' })),
    ...Object.entries(s.counters).map(([name, value]): Observation => ({ name, value, kind: 'counter' })),
  ];
  const fromTags = placement(s.tags);
  return {
    host: s.host,
    region: s.region ?? fromTags.region,
    zone: s.zone ?? fromTags.zone,
    timestamp: s.timestamp,
    tags: s.tags,
    source,
    observations,
  };
}
