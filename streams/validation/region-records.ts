/**
 * Sanity of the per-region records, beyond their Avro schemas: region.capacity
 * (capacity-fingerprint.avsc), region.dependencies (dependency-dag.avsc), region.blueprints
 * (shadow-blueprint.avsc) and region.health (region-health.avsc). The encoded fingerprint and the
 * DAG document inside are judged by their decoders in the consumers.
 */
import { z } from 'zod';
import { count, epochMs, fields, id, nonNegative, oneOf, probability, type ValidationClock } from './checks.js';

export const REGION_STATUSES = ['HEALTHY', 'DEGRADED', 'FAILED'] as const;

/**
 * More launch levels than any region could have services: a level beyond this is garbage (the
 * orchestrator would wait for ever on the levels before it).
 */
export const MAX_LAUNCH_LEVELS = 10_000;

export const launchLevel = () => count().max(MAX_LAUNCH_LEVELS - 1);
const port = () => z.number().int().min(0).max(65_535);

export const capacityFingerprintSchema = (clock: ValidationClock) =>
  fields({
    region: id(),
    version: count(),
    formatVersion: count(),
    windowStart: epochMs(clock),
    windowEnd: epochMs(clock),
    hostCount: count(),
    instanceCount: count(),
    serviceCount: count(),
    emittedAt: epochMs(clock),
  }).refine((r) => r.windowStart === undefined || r.windowEnd === undefined || r.windowStart <= r.windowEnd, {
    path: ['windowStart'],
    error: 'is after windowEnd',
  });

export const dependencyDagSchema = (clock: ValidationClock) =>
  fields({
    region: id(),
    version: count(),
    generatedAt: epochMs(clock),
    nodeCount: count(),
    edgeCount: count(),
    cycleCount: count(),
    levelCount: count(),
    dag: id(),
  });

const blueprintService = fields({
  service: id(),
  instances: count(),
  cpuPerInstance: nonNegative(),
  memoryMbPerInstance: count(),
  launchLevel: launchLevel(),
  ports: z.array(port()),
});

export const shadowBlueprintSchema = (clock: ValidationClock) =>
  fields({
    primaryRegion: id(),
    shadowRegion: id(),
    version: count(),
    builtAt: epochMs(clock),
    fingerprintVersion: count(),
    dagVersion: count(),
    headroom: nonNegative(),
    levelCount: count().max(MAX_LAUNCH_LEVELS),
    services: z.array(blueprintService),
  }).superRefine((b, ctx) => {
    if (b.levelCount === undefined) return;
    // Services outside the DAG launch at level 0, even when the DAG has no level at all.
    const levels = Math.max(b.levelCount, 1);
    (b.services ?? []).forEach((s, i) => {
      if (s.launchLevel !== undefined && s.launchLevel >= levels)
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'launchLevel'],
          message: `is ${s.launchLevel}, beyond the blueprint's ${b.levelCount} level(s)`,
        });
    });
  });

export const regionHealthSchema = (clock: ValidationClock) =>
  fields({
    region: id(),
    timestamp: epochMs(clock),
    status: oneOf(REGION_STATUSES),
    hostCount: count(),
    hostsAtRisk: count(),
    hostsFailed: count(),
    meanPFail: probability(),
  }).superRefine((h, ctx) => {
    for (const f of ['hostsAtRisk', 'hostsFailed'] as const)
      if (h.hostCount !== undefined && (h[f] ?? 0) > h.hostCount)
        ctx.addIssue({ code: 'custom', path: [f], message: `is ${h[f]}, more than hostCount ${h.hostCount}` });
  });
