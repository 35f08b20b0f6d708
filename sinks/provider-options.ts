/**
 * Each provider kind's options schema, so a configuration file can be checked field by field (with
 * the file line of each bad field) before any provider is built. Keyed by ProviderKind: a new
 * provider kind does not compile until its schema is listed here.
 */
import type { ZodObject } from 'zod';
import { awsProviderOptionsSchema } from './aws/options.js';
import { dnsProviderOptionsSchema } from './dns/dns-provider.js';
import { haproxyProviderOptionsSchema } from './haproxy/haproxy-provider.js';
import { postgresProviderOptionsSchema } from './postgres/options.js';
import type { ProviderKind } from './providers.js';
import { redisProviderOptionsSchema } from './redis/redis-provider.js';
import { regionProviderOptionsSchema } from './region/options.js';
import { simulatedProviderOptionsSchema } from './simulated/simulated-provider.js';
import { webhookProviderOptionsSchema } from './webhook/webhook-provider.js';

/**
 * Each provider kind's options schema, without loading the providers themselves (the AWS SDK alone
 * takes most of a second to import): configuration checks at start-up use these.
 */
export const PROVIDER_OPTION_SCHEMAS: Readonly<Record<ProviderKind, ZodObject>> = {
  redis: redisProviderOptionsSchema,
  haproxy: haproxyProviderOptionsSchema,
  dns: dnsProviderOptionsSchema,
  postgres: postgresProviderOptionsSchema,
  /** Its members' options are checked by their own kinds' schemas (regionMemberProblems in the loader). */
  region: regionProviderOptionsSchema,
  webhook: webhookProviderOptionsSchema,
  simulated: simulatedProviderOptionsSchema,
  aws: awsProviderOptionsSchema,
};

/** The provider kinds, as providers.ts lists them (kept in step by the Record type above). */
export const PROVIDER_KIND_NAMES = Object.keys(PROVIDER_OPTION_SCHEMAS) as [ProviderKind, ...ProviderKind[]];
