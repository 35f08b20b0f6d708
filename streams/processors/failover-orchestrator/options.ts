/**
 * Validated options of the failover orchestrator: step timeouts and retries, start commands, the
 * approval gate (autoRegionFailover) and advise mode.
 */
import { z } from 'zod';
import { MODES } from '../../controls/controls.js';
import { parseOptions } from '../../validation/options.js';

export const failoverOrchestratorOptionsSchema = z.object({
  regionStepTimeoutMs: z.number().int().positive().default(300_000),
  regionMaxAttempts: z.number().int().positive().default(3),
  /**
   * Region start commands: one per wave of units startable together (default; suits an actuator
   * that runs a region's commands one at a time, as sinks/framework's consumer does), or one per
   * unit (faster with an actuator that runs them concurrently). See region-failover.ts.
   */
  startCommands: z.enum(['per-wave', 'per-unit']).default('per-wave'),
  /**
   * Whether a FAILED region.health status starts a real failover by itself. Default false: a
   * region failover moves everything a region serves and its trigger is a heuristic (the share of
   * failed hosts), so it waits for an operator's approval (PENDING_APPROVAL, then
   * POST /regions/{id}/failover/approve). Set true only where that heuristic has been proven.
   */
  autoRegionFailover: z.boolean().default(false),
  /**
   * `act` (default) carries failovers out; `advise` records every step on failover.commands as a
   * recommendation (advisory: true) that no actuator carries out. Drills (dryRun) run in both.
   */
  mode: z.enum(MODES).default('act'),
  tickMs: z.number().int().positive().default(1_000),
});

export type FailoverOrchestratorOptions = z.infer<typeof failoverOrchestratorOptionsSchema>;

/** The options with their defaults; throws ConfigError naming every invalid field. */
export function failoverOrchestratorOptions(
  input: Partial<FailoverOrchestratorOptions> = {},
): FailoverOrchestratorOptions {
  return parseOptions(failoverOrchestratorOptionsSchema, input, 'failover orchestrator');
}
