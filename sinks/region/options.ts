/**
 * The region actuator's options (providers.ts builds it), apart from the providers so a
 * configuration check can validate them without loading any provider.
 */
import { z } from 'zod';

/** The provider kinds that can be members of a region actuator (they carry out region steps). */
export const REGION_MEMBER_KINDS = ['redis', 'haproxy', 'dns', 'postgres'] as const;

/** A region actuator: the providers that run the region's services, each with its own options. */
export const regionProviderOptionsSchema = z.object({
  name: z.string().default('region'),
  members: z.array(z.object({ kind: z.enum(REGION_MEMBER_KINDS), options: z.unknown() })).min(1),
});
export type RegionProviderOptions = z.input<typeof regionProviderOptionsSchema>;
