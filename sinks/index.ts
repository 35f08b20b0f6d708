/**
 * The actuators' public surface, listed name by name (no wildcard re-exports) so it is clear
 * where each comes from.
 */

export { AwsProvider, type AwsProviderOptions } from './aws/aws-provider.js';
export { DnsProvider, type DnsProviderOptions } from './dns/dns-provider.js';
export { type CommandCodec, jsonCodec, registryCodec } from './framework/codec.js';
export {
  ACTUATION_RESULTS_TOPIC,
  ActuatorConsumer,
  type ActuatorConsumerOptions,
  FAILOVER_COMMANDS_TOPIC,
  SHADOW_COMMANDS_TOPIC,
} from './framework/consumer.js';
export { permanentError, transientError } from './framework/errors.js';
export { type CommandLedger, KafkaLedger, LEDGER_TOPIC, MemoryLedger } from './framework/ledger.js';
export type {
  ActuationContext,
  ActuationResult,
  ActuatorCommand,
  ActuatorProvider,
  FailoverCommand,
  Outcome,
  ShadowCommand,
} from './framework/types.js';
export { HaproxyProvider, type HaproxyProviderOptions } from './haproxy/haproxy-provider.js';
export { PostgresProvider, type PostgresProviderOptions } from './postgres/postgres-provider.js';
export { createProvider, PROVIDER_KINDS, type ProviderKind, type RegionProviderOptions } from './providers.js';
export { RedisProvider, type RedisProviderOptions } from './redis/redis-provider.js';
export { isRegionMember, type RegionMember, RegionProvider } from './region/region-provider.js';
export { type RunActuatorOptions, type RunningActuator, runActuator } from './run-actuator.js';
export { SimulatedProvider, type SimulatedProviderOptions } from './simulated/simulated-provider.js';
export { signPayload, verifySignature } from './webhook/signature.js';
export { WebhookProvider, type WebhookProviderOptions } from './webhook/webhook-provider.js';
