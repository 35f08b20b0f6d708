/**
 * Sanity of the per-host records, beyond their Avro schemas: metrics.samples (host-sample.avsc),
 * health.baselines (host-baseline.avsc), health.risk (host-risk.avsc), host.failures
 * (host-failure.avsc), hosts (host.avsc) and deployments (deployment.avsc).
 */
import { z } from 'zod';
import { checkValue } from '../processors/metric-ingest/canonical.js';
import {
  count,
  epochMs,
  fields,
  finite,
  id,
  nonNegative,
  nullable,
  oneOf,
  probability,
  type ValidationClock,
} from './checks.js';

export const RISK_LEVELS = ['OK', 'WATCH', 'WARNING', 'CRITICAL'] as const;
export const CRITICALITY_TIERS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
export const FAILURE_KINDS = [
  'CRASH',
  'HARDWARE',
  'NETWORK',
  'DISK',
  'MEMORY',
  'HEARTBEAT_LOST',
  'MANUAL',
  'OTHER',
] as const;
export const HOST_STATES = ['UP', 'DRAINING', 'DOWN', 'MAINTENANCE'] as const;
export const DEPLOYMENT_OUTCOMES = ['SUCCEEDED', 'FAILED', 'PENDING', 'REMOVED'] as const;

/**
 * A canonical sample's values obey the same ranges metric-ingest enforces at the edge (fractions in
 * [0, 1], non-negative gauges and rates; canonical.ts), so a sample that bypassed ingest is judged
 * alike. One plain loop rather than a zod record of refined numbers: this runs for every sample in
 * both host-health apps, and the record form cost ~13 µs a sample (the loop ~2 µs).
 */
const sampleMetrics = z
  .custom<Record<string, number>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    error: 'is not a map of metric values',
  })
  .superRefine((metrics, ctx) => {
    for (const name in metrics) {
      const value: unknown = metrics[name];
      let problem: string | undefined;
      if (name === '') problem = 'has an empty metric name';
      else if (typeof value !== 'number') problem = `is not a number (${typeof value})`;
      else {
        const checked = checkValue(name, value);
        if (typeof checked === 'string') problem = `is out of range: ${checked}`;
      }
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem, input: value });
    }
  });

export const hostSampleSchema = (clock: ValidationClock) =>
  fields({
    host: id(),
    region: z.string(),
    zone: z.string(),
    timestamp: epochMs(clock),
    metrics: sampleMetrics,
  });

const metricBaseline = fields({
  mean: finite(),
  stddev: nonNegative(),
  median: finite(),
  mad: nonNegative(),
  p50: finite(),
  p95: finite(),
  p99: finite(),
  seasonalMedian: nullable(finite()),
  count: count(),
});

export const hostBaselineSchema = (clock: ValidationClock) =>
  fields({
    host: id(),
    timestamp: epochMs(clock),
    sampleCount: count(),
    metrics: z.record(z.string().min(1), metricBaseline),
  });

export const hostRiskSchema = (clock: ValidationClock) =>
  fields({
    host: id(),
    region: z.string(),
    timestamp: epochMs(clock),
    horizonMs: count(),
    pFail: probability(),
    level: oneOf(RISK_LEVELS),
    trend: finite(),
    deviationScore: nonNegative(),
    timeToFailureMs: nullable(count()),
    drivers: z.array(fields({ feature: id(), value: finite(), contribution: finite() })),
  });

export const hostFailureSchema = (clock: ValidationClock) =>
  fields({ host: id(), region: z.string(), timestamp: epochMs(clock), kind: oneOf(FAILURE_KINDS) });

export const hostSchema = (clock: ValidationClock) =>
  fields({
    host: id(),
    region: z.string(),
    cpuCores: nonNegative(),
    memoryMb: count(),
    state: oneOf(HOST_STATES),
    updatedAt: epochMs(clock),
  });

export const deploymentSchema = (clock: ValidationClock) =>
  fields({
    resourceId: id(),
    host: z.string(),
    region: z.string(),
    tier: oneOf(CRITICALITY_TIERS),
    cpu: nonNegative(),
    memoryMb: count(),
    outcome: oneOf(DEPLOYMENT_OUTCOMES),
    deployedAt: epochMs(clock),
  });
