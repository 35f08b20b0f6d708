/**
 * Validated options of the failure detector (the quorum judge). The per-resource timing (probe
 * interval, down-after) travels on every observation, set by the probers from the resource's
 * deployment config, so one detector serves resources tuned differently.
 */
import { z } from 'zod';
import { ConfigError } from '../../runtime/errors.js';

export const failureDetectorOptionsSchema = z.object({
  /**
   * Distinct vantage points that must each vote a resource down before it is declared failed.
   * A fixed count, not a share of the live ones: with a prober silenced (frozen, partitioned from
   * Kafka), the others alone cannot reach it, and heartbeat loss stays the backstop.
   */
  quorum: z.number().int().min(1).default(2),
  /** Consecutive failed probes a vantage needs (besides down-after) before it votes down. */
  minFailedProbes: z.number().int().min(1).default(1),
  /**
   * A vantage's vote counts while its latest observation is at most down-after + this many probe
   * intervals older than the newest observation of the resource (from any vantage).
   */
  staleAfterIntervals: z.number().min(1).default(3),
  /**
   * Timer jitter tolerated on down-after (at least a tenth of the probe interval): two probes one
   * interval apart may start a little less than an interval apart on a loaded prober. A vote never
   * comes earlier than down-after minus the slack.
   */
  timingSlackMs: z.number().int().min(0).default(25),
  /** Verdicts of targets not observed for this long (a moved or removed resource) are dropped. */
  retainMs: z.number().int().positive().default(600_000),
  /** How often (stream time) old verdicts are dropped. */
  cleanupIntervalMs: z.number().int().positive().default(60_000),
});

export type FailureDetectorOptions = z.output<typeof failureDetectorOptionsSchema>;
export type FailureDetectorOptionsInput = z.input<typeof failureDetectorOptionsSchema>;

export function failureDetectorOptions(input: FailureDetectorOptionsInput = {}): FailureDetectorOptions {
  const parsed = failureDetectorOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new ConfigError(`invalid failure detector options: ${problems.join('; ')}`, { problems });
  }
  return parsed.data;
}
