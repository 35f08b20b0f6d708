/** Validated options of the dependency mapper: evidence lifetimes and counts, confidence, emission, topics. */
import { z } from 'zod';
import { CONFIGS_TOPIC, DISCOVERY_TOPIC, FLOWS_TOPIC, SPANS_TOPIC } from '../../catalogue.js';
import { parseOptions } from '../../validation/options.js';
import { DEFAULT_EDGE_POLICY } from './edges.js';
import { DEFAULT_MAPPER_OPTIONS, type MapperOptions } from './mapper.js';

export const dependencyMapOptionsSchema = z.object({
  /** Region for evidence that names none (single-region deployments). */
  defaultRegion: z.string().min(1).default('default'),
  checkIntervalMs: z.number().int().positive().default(10_000),
  emitIntervalMs: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  minConfidence: z.number().min(0).max(1).default(DEFAULT_EDGE_POLICY.minConfidence),
  ttlMs: z
    .object({
      config: z.number().int().positive(),
      discovery: z.number().int().positive(),
      flow: z.number().int().positive(),
      span: z.number().int().positive(),
    })
    .default({ ...DEFAULT_EDGE_POLICY.ttlMs }),
  minCount: z
    .object({
      config: z.number().int().min(1),
      discovery: z.number().int().min(1),
      flow: z.number().int().min(1),
      span: z.number().int().min(1),
    })
    .default({ ...DEFAULT_EDGE_POLICY.minCount }),
  pendingTtlMs: z.number().int().positive().default(DEFAULT_MAPPER_OPTIONS.pendingTtlMs),
  topics: z
    .object({ configs: z.string(), discovery: z.string(), flows: z.string(), spans: z.string() })
    .default({ configs: CONFIGS_TOPIC, discovery: DISCOVERY_TOPIC, flows: FLOWS_TOPIC, spans: SPANS_TOPIC }),
});

export type DependencyMapOptions = z.output<typeof dependencyMapOptionsSchema>;
export type DependencyMapOptionsInput = z.input<typeof dependencyMapOptionsSchema>;

export function mapperOptions(o: DependencyMapOptions): MapperOptions {
  return {
    ...DEFAULT_MAPPER_OPTIONS,
    pendingTtlMs: o.pendingTtlMs,
    policy: {
      ...DEFAULT_EDGE_POLICY,
      minConfidence: o.minConfidence,
      ttlMs: { ...o.ttlMs },
      minCount: { ...o.minCount },
    },
  };
}

/** The options with their defaults; throws ConfigError naming every invalid field. */
export function dependencyMapOptions(input: DependencyMapOptionsInput = {}): DependencyMapOptions {
  return parseOptions(dependencyMapOptionsSchema, input, 'dependency map');
}
