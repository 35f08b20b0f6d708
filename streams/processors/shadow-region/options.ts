/** Validated options of the shadow-region app: sizing (headroom, utilisation, minimums), naming, check period. */
import { z } from 'zod';
import { parseOptions } from '../../validation/options.js';
import { DEFAULT_SIZING } from './blueprint.js';

export const shadowRegionOptionsSchema = z.object({
  headroom: z.number().min(0).max(10).default(DEFAULT_SIZING.headroom),
  targetUtilisation: z.number().positive().max(1).default(DEFAULT_SIZING.targetUtilisation),
  utilisationScale: z.number().positive().default(DEFAULT_SIZING.utilisationScale),
  maxConnectionsPerInstance: z.number().min(0).default(DEFAULT_SIZING.maxConnectionsPerInstance),
  minInstances: z.number().int().min(0).default(DEFAULT_SIZING.minInstances),
  dnsTemplate: z.string().default(DEFAULT_SIZING.dnsTemplate),
  lbPoolTemplate: z.string().default(DEFAULT_SIZING.lbPoolTemplate),
  /** Primary → shadow region names; others get `shadowSuffix` appended. */
  shadowRegions: z.record(z.string(), z.string()).default({}),
  shadowSuffix: z.string().default('-shadow'),
  checkIntervalMs: z.number().int().positive().default(30_000),
});

export type ShadowRegionOptions = z.output<typeof shadowRegionOptionsSchema>;
export type ShadowRegionOptionsInput = z.input<typeof shadowRegionOptionsSchema>;

/** The options with their defaults; throws ConfigError naming every invalid field. */
export function shadowRegionOptions(input: ShadowRegionOptionsInput = {}): ShadowRegionOptions {
  return parseOptions(shadowRegionOptionsSchema, input, 'shadow region');
}
