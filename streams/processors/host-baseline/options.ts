/** Validated options of the host-baseline app: emission period, what counts as a material change, seasonal depth. */
import { z } from 'zod';
import { parseOptions } from '../../validation/options.js';

export const hostBaselineOptionsSchema = z.object({
  emitIntervalMs: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  /** Robust spreads a median must move before a new baseline is published early. */
  materialChange: z.number().positive().default(1),
  /** Weeks of hourly means behind the published seasonal median. */
  seasonalWeeks: z.number().int().min(2).max(5).default(4),
});

export type HostBaselineOptions = z.infer<typeof hostBaselineOptionsSchema>;

/** The options with their defaults; throws ConfigError naming every invalid field. */
export function hostBaselineOptions(input: Partial<HostBaselineOptions> = {}): HostBaselineOptions {
  return parseOptions(hostBaselineOptionsSchema, input, 'host baseline');
}
