/**
 * The processors' own option schemas, by the configuration section that tunes them. Each section of
 * foreshadow.yaml is validated by the processor's schema (one source of defaults and ranges), made
 * strict so a misspelt key is an error rather than silently ignored. Gathered here so a processor
 * module that moves changes one import.
 */
import { type ZodObject, z } from 'zod';
import { capacityOptionsSchema } from '../../streams/processors/capacity-fingerprint/options.js';
import { dependencyMapOptionsSchema } from '../../streams/processors/dependency-map/options.js';
import { failoverOrchestratorOptionsSchema } from '../../streams/processors/failover-orchestrator/options.js';
import { failureRiskOptionsSchema } from '../../streams/processors/failure-risk/options.js';
import { hostBaselineOptionsSchema } from '../../streams/processors/host-baseline/options.js';
import { metricIngestOptionsSchema } from '../../streams/processors/metric-ingest/options.js';
import { regionHealthOptionsSchema } from '../../streams/processors/region-health/options.js';
import { shadowManagerOptionsSchema } from '../../streams/processors/shadow-manager/options.js';
import { shadowRegionOptionsSchema } from '../../streams/processors/shadow-region/options.js';

/**
 * A section checked by a processor's schema but kept as written (its input type): the processor
 * applies its own defaults and transforms when it parses the options again.
 */
function section<S extends ZodObject>(schema: S) {
  const strict = schema.strict();
  return z
    .custom<z.input<S>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected a mapping')
    .superRefine((value, ctx) => {
      const parsed = strict.safeParse(value);
      if (parsed.success) return;
      for (const issue of parsed.error.issues) {
        // An unknown key is located at the key itself (as yaml-source.ts does for the others).
        if (issue.code === 'unrecognized_keys')
          for (const key of issue.keys)
            ctx.addIssue({ code: 'custom', path: [...issue.path, key], message: 'unknown key' });
        else ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      }
    });
}

export const PROCESSOR_SECTIONS = {
  /** metric-ingest: accepted timestamp window, counter state TTL. */
  ingest: section(metricIngestOptionsSchema),
  /** host-baseline: emission interval, material change, seasonal weeks. */
  baseline: section(hostBaselineOptionsSchema),
  /** failure-risk: horizon and the WATCH / WARNING / CRITICAL thresholds. */
  risk: section(failureRiskOptionsSchema),
  /** capacity-fingerprint: windows, half-lives, metric names. */
  capacity: section(capacityOptionsSchema),
  /** dependency-map: evidence TTLs, confidence. */
  dependencies: section(dependencyMapOptionsSchema),
  /** shadow-region: blueprint sizing (headroom, target utilisation), shadow region names. */
  blueprints: section(shadowRegionOptionsSchema),
  /** region-health: the health policy. */
  regionHealth: section(regionHealthOptionsSchema),
  /** shadow-manager: trigger thresholds, budget, rate limit, lifecycle timeouts, heartbeat. */
  shadows: section(shadowManagerOptionsSchema),
  /** failover-orchestrator: region step timeouts, start commands, automatic failover. */
  failover: section(failoverOrchestratorOptionsSchema),
} as const;
