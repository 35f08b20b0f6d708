/** Validated options of the capacity profiler: windows, sketch accuracy, emission and metric names. */
import { z } from 'zod';
import { parseOptions } from '../../validation/options.js';
import { DEFAULT_CHANGE_THRESHOLDS } from './change.js';
import { CAPACITY_METRICS, DEFAULT_METRIC_NAMES, type MetricSources } from './metrics.js';

export const capacityOptionsSchema = z.object({
  paneMs: z.number().int().positive().default(60_000),
  windowMs: z
    .number()
    .int()
    .positive()
    .default(15 * 60_000),
  halfLivesMs: z.array(z.number().int().positive()).min(1).max(8).default([60_000, 300_000, 900_000]),
  relativeAccuracy: z.number().positive().max(0.05).default(0.005),
  checkIntervalMs: z.number().int().positive().default(10_000),
  emitIntervalMs: z.number().int().positive().default(60_000),
  p95ChangeThreshold: z.number().positive().default(DEFAULT_CHANGE_THRESHOLDS.p95Relative),
  metricNames: z
    .partialRecord(z.enum(CAPACITY_METRICS), z.union([z.string(), z.array(z.string()).min(1)]))
    .optional()
    .transform((m): MetricSources => ({ ...DEFAULT_METRIC_NAMES, ...m })),
});

export type CapacityOptions = z.output<typeof capacityOptionsSchema>;
export type CapacityOptionsInput = z.input<typeof capacityOptionsSchema>;

/** The options with their defaults; throws ConfigError naming every invalid field. */
export function capacityOptions(input: CapacityOptionsInput = {}): CapacityOptions {
  return parseOptions(capacityOptionsSchema, input, 'capacity fingerprint');
}
