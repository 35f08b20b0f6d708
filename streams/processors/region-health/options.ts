/** Validated options of the region-health app: the health policy, check and heartbeat periods. */
import { z } from 'zod';
import { parseOptions } from '../../validation/options.js';
import { DEFAULT_HEALTH_POLICY, type HealthPolicy } from './assess.js';

export const regionHealthOptionsSchema = z.object({
  policy: z
    .object({
      riskTtlMs: z.number().int().positive(),
      failureTtlMs: z.number().int().positive(),
      recoveryGraceMs: z.number().int().min(0),
      atRiskPFail: z.number().min(0).max(1),
      failedFractionForFailed: z.number().min(0).max(1),
      failedFractionForDegraded: z.number().min(0).max(1),
      atRiskFractionForDegraded: z.number().min(0).max(1),
      meanPFailForDegraded: z.number().min(0).max(1),
    })
    .partial()
    .default({})
    .transform((p): HealthPolicy => ({ ...DEFAULT_HEALTH_POLICY, ...p })),
  checkIntervalMs: z.number().int().positive().default(30_000),
  emitIntervalMs: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
});

export type RegionHealthOptions = z.output<typeof regionHealthOptionsSchema>;
export type RegionHealthOptionsInput = z.input<typeof regionHealthOptionsSchema>;

/** The options with their defaults; throws ConfigError naming every invalid field. */
export function regionHealthOptions(input: RegionHealthOptionsInput = {}): RegionHealthOptions {
  return parseOptions(regionHealthOptionsSchema, input, 'region health');
}
