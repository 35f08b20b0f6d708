/** Validated options of the failure-risk app: horizon, level thresholds, learning, silence checks. */
import { z } from 'zod';
import { parseOptions } from '../../validation/options.js';
import { DEFAULT_RISK_OPTIONS, type RiskOptions } from './risk-engine.js';

export const failureRiskOptionsSchema = z.object({
  horizonMs: z.number().int().positive().default(DEFAULT_RISK_OPTIONS.features.horizonMs),
  watch: z.number().min(0).max(1).default(DEFAULT_RISK_OPTIONS.watch),
  warning: z.number().min(0).max(1).default(DEFAULT_RISK_OPTIONS.warning),
  critical: z.number().min(0).max(1).default(DEFAULT_RISK_OPTIONS.critical),
  /** Keep learning online (false freezes the model, e.g. for a canary). */
  learn: z.boolean().default(true),
  /** Wall-clock period of the silence check (hosts that stopped reporting). */
  silenceCheckMs: z.number().int().positive().default(60_000),
  /** Expected samples overdue before a host counts as silent. */
  silentIntervals: z.number().positive().default(3),
  /**
   * 0 (default): a risk record per sample. Otherwise records go out on a material change and at
   * least this often per host (event time): emission.ts. Keep it below the shadow manager's
   * heartbeat timeout, which counts risk records as signs of life.
   */
  emitEveryMs: z.number().int().min(0).default(0),
  /** With `emitEveryMs`: a pFail move that is published at once. */
  emitPFailChange: z.number().positive().max(1).default(0.02),
});

export type FailureRiskOptions = z.infer<typeof failureRiskOptionsSchema>;

export function riskOptions(o: FailureRiskOptions): RiskOptions {
  return {
    ...DEFAULT_RISK_OPTIONS,
    features: { ...DEFAULT_RISK_OPTIONS.features, horizonMs: o.horizonMs },
    watch: o.watch,
    warning: o.warning,
    critical: o.critical,
  };
}

/** The options with their defaults; throws ConfigError naming every invalid field. */
export function failureRiskOptions(input: Partial<FailureRiskOptions> = {}): FailureRiskOptions {
  return parseOptions(failureRiskOptionsSchema, input, 'failure risk');
}
