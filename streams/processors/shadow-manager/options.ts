/**
 * Validated options of the shadow manager. Defaults suit a fleet reporting risk every ~10 s; every
 * threshold is explicit so a deployment can tune cost against protection.
 */
import { z } from 'zod';
import { MODES } from '../../controls/controls.js';
import { parseOptions } from '../../validation/options.js';

export const shadowManagerOptionsSchema = z
  .object({
    /**
     * `act` (default) carries decisions out; `advise` records every decision on shadow.commands as
     * a recommendation (advisory: true) that no actuator carries out. Act is the default because a
     * failover system that only advises leaves every failure to people; a new installation should
     * start in advise (configured) and compare its recommendations with what happened.
     */
    mode: z.enum(MODES).default('act'),
    /**
     * Blast radius: failover actions (promotions and standard redeployments) in any sliding minute,
     * fleet-wide and per region; the excess is held (queued with the reason), never dropped. The
     * defaults let a host with a typical handful of resources fail over at once while stopping a
     * runaway detector from moving the whole fleet; raise them for very dense hosts.
     */
    maxPromotionsPerMinute: z.number().int().positive().default(60),
    maxPromotionsPerMinutePerRegion: z.number().int().positive().default(20),
    /** Shadow when deviating && rising && pFail >= enterThreshold. */
    enterThreshold: z.number().min(0).max(1).default(0.6),
    /** Retirement only starts counting once pFail < exitThreshold (hysteresis: exit < enter). */
    exitThreshold: z.number().min(0).max(1).default(0.3),
    /** pFail above which a host is "imminent": its critical resources go strictly first. */
    imminentPFail: z.number().min(0).max(1).default(0.9),
    /** A placement target must have pFail below this. */
    healthyMaxPFail: z.number().min(0).max(1).default(0.3),
    /** Budget: shadows reserved at once (REQUESTED..READY). */
    maxConcurrentShadows: z.number().int().positive().default(50),
    /** Budget: share of the fleet's CPU that shadows may reserve. */
    maxFleetShare: z.number().min(0).max(1).default(0.2),
    /** Rate limit: token bucket of shadow creations. */
    createsPerMinute: z.number().positive().default(30),
    createBurst: z.number().int().positive().default(10),
    /** Lifecycle. */
    provisionTimeoutMs: z.number().int().positive().default(120_000),
    syncTimeoutMs: z.number().int().positive().default(900_000),
    syncPollMs: z.number().int().positive().default(15_000),
    maxLagMs: z.number().int().nonnegative().default(5_000),
    maxAttemptsPerHost: z.number().int().positive().default(3),
    maxPlacements: z.number().int().positive().default(3),
    backoffBaseMs: z.number().int().positive().default(2_000),
    backoffMaxMs: z.number().int().positive().default(60_000),
    /** A shadow that FAILED is not attempted again for this long, however high the risk (no churn). */
    failedCooldownMs: z.number().int().nonnegative().default(300_000),
    /** Retire a predicted shadow after its host stayed below exitThreshold this long. */
    idleTtlMs: z.number().int().positive().default(1_800_000),
    /** Recent failed deployments on a host count against it for placement. */
    deployFailureWindowMs: z.number().int().positive().default(86_400_000),
    /** Failover. */
    promoteSyncing: z.boolean().default(false),
    failoverStepTimeoutMs: z.number().int().positive().default(60_000),
    failoverMaxAttempts: z.number().int().positive().default(3),
    /** Heartbeat: a host with no risk record for intervalMs * missedIntervals is declared lost. */
    heartbeatIntervalMs: z.number().int().positive().default(10_000),
    heartbeatMissedIntervals: z.number().int().positive().default(3),
    /** Wall-clock punctuation period: timeouts, retries, queue, retirement, heartbeat. */
    tickMs: z.number().int().positive().default(1_000),
  })
  .refine((o) => o.exitThreshold < o.enterThreshold, {
    message: 'exitThreshold must be below enterThreshold (hysteresis)',
  })
  .refine((o) => o.maxPromotionsPerMinutePerRegion <= o.maxPromotionsPerMinute, {
    message: 'maxPromotionsPerMinutePerRegion must not exceed maxPromotionsPerMinute',
    path: ['maxPromotionsPerMinutePerRegion'],
  });

export type ShadowManagerOptions = z.infer<typeof shadowManagerOptionsSchema>;

/** The options with their defaults; throws ConfigError naming every invalid field. */
export function shadowManagerOptions(input: Partial<ShadowManagerOptions> = {}): ShadowManagerOptions {
  return parseOptions(shadowManagerOptionsSchema, input, 'shadow manager');
}
