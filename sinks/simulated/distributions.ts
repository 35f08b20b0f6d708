/**
 * Delay distributions for the simulated actuator, as pure value objects sampled with an explicit
 * random source, so a drill or benchmark is reproducible from its seed.
 */
import { z } from 'zod';

export const distributionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('constant'), value: z.number().min(0) }),
  z.object({ type: z.literal('uniform'), min: z.number().min(0), max: z.number().min(0) }),
  z.object({ type: z.literal('exponential'), mean: z.number().positive() }),
  /** Normal, truncated at 0. */
  z.object({ type: z.literal('normal'), mean: z.number(), stddev: z.number().min(0) }),
  /** Log-normal given its median and the sigma of the underlying normal: long-tailed launch times. */
  z.object({ type: z.literal('lognormal'), median: z.number().positive(), sigma: z.number().min(0) }),
]);
export type Distribution = z.infer<typeof distributionSchema>;

/** Deterministic 32-bit PRNG (mulberry32): uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box–Muller. */
function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function sample(d: Distribution, random: () => number): number {
  switch (d.type) {
    case 'constant':
      return d.value;
    case 'uniform':
      return d.min + (d.max - d.min) * random();
    case 'exponential':
      return -d.mean * Math.log(1 - random());
    case 'normal':
      return Math.max(0, d.mean + d.stddev * gaussian(random));
    case 'lognormal':
      return d.median * Math.exp(d.sigma * gaussian(random));
  }
}
