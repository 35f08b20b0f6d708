/**
 * ShadowBlueprint, the value of region.blueprints (compacted, key = primary region): the
 * configuration needed to launch a primary region's shadow region. Never holds data.
 */
import { z } from 'zod';
import { count, epochMs, fields, id, nonNegative } from '../../streams/validation/checks.js';
import { defineRecord, type RecordValue } from '../record.js';

/**
 * More launch levels than any region could have services: a level beyond this is garbage (the
 * orchestrator would wait for ever on the levels before it).
 */
export const MAX_LAUNCH_LEVELS = 10_000;

export const launchLevel = () => count().max(MAX_LAUNCH_LEVELS - 1);
const port = () => z.number().int().min(0).max(65_535);

const blueprintService = fields({
  service: id(),
  instances: count(),
  cpuPerInstance: nonNegative(),
  memoryMbPerInstance: count(),
  launchLevel: launchLevel(),
  ports: z.array(port()),
});

export const SHADOW_BLUEPRINT_RECORD = defineRecord({
  file: 'shadow-blueprint',
  schema: {
    type: 'record',
    name: 'ShadowBlueprint',
    namespace: 'dev.foreshadow',
    doc: "Configuration-only plan for launching a primary region's shadow region (topic region.blueprints, compacted, key = primary region). Never holds data.",
    fields: [
      { name: 'primaryRegion', type: 'string' },
      { name: 'shadowRegion', type: 'string' },
      { name: 'version', type: 'long' },
      { name: 'builtAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'fingerprintVersion', type: 'long' },
      { name: 'dagVersion', type: 'long' },
      { name: 'headroom', type: 'double' },
      { name: 'levelCount', type: 'int' },
      {
        name: 'services',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'BlueprintService',
            fields: [
              { name: 'service', type: 'string' },
              { name: 'instances', type: 'int' },
              { name: 'cpuPerInstance', type: 'double' },
              { name: 'memoryMbPerInstance', type: 'long' },
              { name: 'configRef', type: 'string', default: '' },
              { name: 'launchLevel', type: 'int' },
              {
                name: 'launchGroup',
                type: 'string',
                doc: 'services in one strongly connected component launch together',
              },
              { name: 'dependsOn', type: { type: 'array', items: 'string' }, default: [] },
              { name: 'ports', type: { type: 'array', items: 'int' }, default: [] },
              { name: 'lbPools', type: { type: 'array', items: 'string' }, default: [] },
              { name: 'dnsNames', type: { type: 'array', items: 'string' }, default: [] },
              { name: 'replicationSources', type: { type: 'array', items: 'string' }, default: [] },
            ],
          },
        },
      },
    ],
  },
  checks: (clock) =>
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
    }),
});

export type ShadowBlueprint = RecordValue<typeof SHADOW_BLUEPRINT_RECORD>;
/** One service of a blueprint: shape, count, launch order and wiring. */
export type BlueprintService = ShadowBlueprint['services'][number];
