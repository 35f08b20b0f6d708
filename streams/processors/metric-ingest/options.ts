/** Validated options of metric ingest: how far in the future or past a sample may be, counter and instance lifetimes. */
import { z } from 'zod';
import { parseOptions } from '../../validation/options.js';
import { DEFAULT_NORMALISE_OPTIONS } from './normalise.js';

export const metricIngestOptionsSchema = z.object({
  maxFutureMs: z.number().int().positive().default(DEFAULT_NORMALISE_OPTIONS.maxFutureMs),
  maxAgeMs: z.number().int().positive().default(DEFAULT_NORMALISE_OPTIONS.maxAgeMs),
  counterTtlMs: z.number().int().positive().default(DEFAULT_NORMALISE_OPTIONS.counterTtlMs),
  instanceMergeMs: z.number().int().min(0).default(DEFAULT_NORMALISE_OPTIONS.instanceMergeMs),
});

export type MetricIngestOptions = z.infer<typeof metricIngestOptionsSchema>;

/** The options with their defaults; throws ConfigError naming every invalid field. */
export function metricIngestOptions(input: Partial<MetricIngestOptions> = {}): MetricIngestOptions {
  return parseOptions(metricIngestOptionsSchema, input, 'metric ingest');
}
