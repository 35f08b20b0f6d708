/**
 * Runs one actuator process: a provider, the Kafka ledger and the command consumer, wired from the
 * shared connection settings (streams/runtime/config.ts). Used by `foreshadow actuators run`.
 */
import { readFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { parse as parseYaml } from 'yaml';
import { type KafkaConnection, loadConnection } from '../streams/runtime/config.js';
import { ConfigError } from '../streams/runtime/errors.js';
import { createKafka } from '../streams/runtime/kafka-client.js';
import { type CommandCodec, jsonCodec, registryCodec } from './framework/codec.js';
import { ActuatorConsumer, type ActuatorConsumerOptions } from './framework/consumer.js';
import { KafkaLedger } from './framework/ledger.js';
import type { ActuatorProvider } from './framework/types.js';
import { createProvider, PROVIDER_KINDS, type ProviderKind } from './providers.js';

export interface RunActuatorOptions {
  kind: ProviderKind;
  /** Provider options (see docs/actuators.md). */
  providerOptions: unknown;
  codec?: 'avro' | 'json';
  groupId?: string;
  /** Names the Kafka client (default the kind). */
  name?: string;
  /** Wraps the provider (e.g. a Redis host agent's port assignment). */
  wrapProvider?: (provider: ActuatorProvider) => ActuatorProvider;
  ledgerTopic?: string;
  connection?: KafkaConnection;
  consumer?: Partial<
    Pick<
      ActuatorConsumerOptions,
      | 'shadowTopic'
      | 'failoverTopic'
      | 'resultsTopic'
      | 'retry'
      | 'concurrency'
      | 'fromBeginning'
      | 'transactionTimeoutMs'
      | 'sessionTimeoutMs'
      | 'faultInjection'
      | 'metrics'
    >
  >;
}

export interface RunningActuator {
  consumer: ActuatorConsumer;
  stop(): Promise<void>;
}

export function isProviderKind(k: string): k is ProviderKind {
  return (PROVIDER_KINDS as readonly string[]).includes(k);
}

/** Reads provider options from a JSON or YAML file. */
export function readProviderOptions(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err: unknown) {
    throw new ConfigError(`cannot parse ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Opens the ledger; right after the ledger topic is created its metadata can lag ("does not host
 * this topic-partition"), and a fresh ledger a moment later sees it.
 */
async function openLedger(kafka: Kafka, topic: string | undefined): Promise<KafkaLedger> {
  for (let attempt = 1; ; attempt++) {
    const ledger = new KafkaLedger(kafka, { ...(topic ? { topic } : {}) });
    try {
      await ledger.open();
      return ledger;
    } catch (err: unknown) {
      await ledger.close().catch(() => undefined);
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
    }
  }
}

export async function runActuator(o: RunActuatorOptions): Promise<RunningActuator> {
  const conn = o.connection ?? loadConnection();
  const kafka = createKafka(conn, `${conn.clientId}-actuator-${o.name ?? o.kind}`);
  const built = createProvider(o.kind, o.providerOptions);
  const provider = o.wrapProvider ? o.wrapProvider(built) : built;
  const codec: CommandCodec = o.codec === 'json' ? jsonCodec() : registryCodec(conn.registryUrl);
  const ledger = await openLedger(kafka, o.ledgerTopic);
  const consumer = new ActuatorConsumer({
    kafka,
    provider,
    codec,
    ledger,
    ...(o.groupId ? { groupId: o.groupId } : {}),
    ...o.consumer,
  });
  try {
    await consumer.start();
  } catch (err: unknown) {
    await consumer.stop().catch(() => undefined);
    await ledger.close().catch(() => undefined);
    throw err;
  }
  return {
    consumer,
    // The consumer closes the provider too.
    stop: async () => {
      await consumer.stop();
      await ledger.close();
    },
  };
}
