/**
 * The provider inventory: one line per actuator kind, so `foreshadow actuators run <kind>` and
 * drills can build any of them from a validated options object (explicit, no import side effects).
 */
import { AwsProvider, type AwsProviderOptions } from './aws/aws-provider.js';
import { DnsProvider, type DnsProviderOptions } from './dns/dns-provider.js';
import { permanentError } from './framework/errors.js';
import type { ActuatorProvider } from './framework/types.js';
import { HaproxyProvider, type HaproxyProviderOptions } from './haproxy/haproxy-provider.js';
import { PostgresProvider, type PostgresProviderOptions } from './postgres/postgres-provider.js';
import { RedisProvider, type RedisProviderOptions } from './redis/redis-provider.js';
import { type RegionProviderOptions, regionProviderOptionsSchema } from './region/options.js';
import { isRegionMember, RegionProvider } from './region/region-provider.js';
import { SimulatedProvider, type SimulatedProviderOptions } from './simulated/simulated-provider.js';
import { WebhookProvider, type WebhookProviderOptions } from './webhook/webhook-provider.js';

export const PROVIDER_KINDS = ['redis', 'haproxy', 'dns', 'postgres', 'region', 'webhook', 'simulated', 'aws'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export type ProviderOptions =
  | { kind: 'redis'; options: RedisProviderOptions }
  | { kind: 'haproxy'; options: HaproxyProviderOptions }
  | { kind: 'dns'; options: DnsProviderOptions }
  | { kind: 'postgres'; options: PostgresProviderOptions }
  | { kind: 'region'; options: RegionProviderOptions }
  | { kind: 'webhook'; options: WebhookProviderOptions }
  | { kind: 'simulated'; options: SimulatedProviderOptions }
  | { kind: 'aws'; options: AwsProviderOptions };

export { type RegionProviderOptions, regionProviderOptionsSchema } from './region/options.js';

function createRegionProvider(options: unknown): RegionProvider {
  const o = regionProviderOptionsSchema.parse(options);
  const members = o.members.map((m) => {
    const p = createProvider(m.kind, m.options);
    if (!isRegionMember(p)) throw permanentError(`${m.kind} cannot carry out region failover steps`);
    return p;
  });
  return new RegionProvider(members, o.name);
}

/** Options are validated by each provider's zod schema (constructor throws on a bad field). */
export function createProvider(kind: ProviderKind, options: unknown): ActuatorProvider {
  switch (kind) {
    case 'redis':
      return new RedisProvider(options as RedisProviderOptions);
    case 'haproxy':
      return new HaproxyProvider(options as HaproxyProviderOptions);
    case 'dns':
      return new DnsProvider(options as DnsProviderOptions);
    case 'postgres':
      return new PostgresProvider(options as PostgresProviderOptions);
    case 'region':
      return createRegionProvider(options);
    case 'webhook':
      return new WebhookProvider(options as WebhookProviderOptions);
    case 'simulated':
      return new SimulatedProvider((options ?? {}) as SimulatedProviderOptions);
    case 'aws':
      return new AwsProvider(options as AwsProviderOptions);
  }
}
