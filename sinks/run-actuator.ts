/**
 * Runs one actuator process: a provider, the Kafka ledger and the command consumer, wired from the
 * shared connection settings (streams/runtime/config.ts). Used by `foreshadow actuators run`.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type KafkaConnection, loadConnection } from '../streams/runtime/config.js';
import { ConfigError } from '../streams/runtime/errors.js';
import { createKafka } from '../streams/runtime/kafka-client.js';
import { type CommandCodec, jsonCodec, registryCodec } from './framework/codec.js';
import { ActuatorConsumer, type ActuatorConsumerOptions } from './framework/consumer.js';
import { KafkaLedger } from './framework/ledger.js';
import { createProvider, PROVIDER_KINDS, type ProviderKind } from './providers.js';

export interface RunActuatorOptions {
  kind: ProviderKind;
  /** Provider options (see docs/actuators.md). */
  providerOptions: unknown;
  codec?: 'avro' | 'json';
  groupId?: string;
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

export async function runActuator(o: RunActuatorOptions): Promise<RunningActuator> {
  const conn = o.connection ?? loadConnection();
  const kafka = createKafka(conn, `${conn.clientId}-actuator-${o.kind}`);
  const provider = createProvider(o.kind, o.providerOptions);
  const codec: CommandCodec = o.codec === 'json' ? jsonCodec() : registryCodec(conn.registryUrl);
  const ledger = new KafkaLedger(kafka, { ...(o.ledgerTopic ? { topic: o.ledgerTopic } : {}) });
  await ledger.open();
  const consumer = new ActuatorConsumer({
    kafka,
    provider,
    codec,
    ledger,
    ...(o.groupId ? { groupId: o.groupId } : {}),
    ...o.consumer,
  });
  await consumer.start();
  return {
    consumer,
    stop: async () => {
      await consumer.stop();
      await ledger.close();
    },
  };
}
