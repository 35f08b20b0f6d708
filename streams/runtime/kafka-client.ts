/**
 * Builds the kafkajs client from validated connection settings (plaintext, TLS, SASL/SCRAM), so
 * every process connects the same way and credentials never pass through logs.
 */
import { readFileSync } from 'node:fs';
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import type { KafkaConnection } from './config.js';

export function kafkaConfig(conn: KafkaConnection, clientId = conn.clientId): KafkaConfig {
  const config: KafkaConfig = {
    clientId,
    brokers: conn.brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 10 },
  };
  if (conn.ssl) {
    config.ssl = conn.ssl.caFile ? { ca: [readFileSync(conn.ssl.caFile, 'utf8')] } : true;
  }
  if (conn.sasl) {
    config.sasl = {
      mechanism: conn.sasl.mechanism,
      username: conn.sasl.username,
      password: conn.sasl.password,
    } as SASLOptions;
  }
  return config;
}

export function createKafka(conn: KafkaConnection, clientId?: string): Kafka {
  return new Kafka(kafkaConfig(conn, clientId));
}
