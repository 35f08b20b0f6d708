/**
 * Shared helpers for integration tests on the real broker: each test makes its own uniquely
 * named topics, reads outputs with read_committed, and cleans up after itself.
 */
import { randomUUID } from 'node:crypto';
import { type Admin, type ITopicConfig, Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import { createTopicsAndWait } from '../../streams/runtime/topic-admin.js';

export function brokers(): string[] {
  const list = inject('kafkaBrokers') || process.env.KAFKA_BROKERS || '127.0.0.1:9092';
  return list.split(',');
}

export function registryUrl(): string {
  return inject('schemaRegistryUrl') || process.env.SCHEMA_REGISTRY_URL || 'http://127.0.0.1:8081/apis/ccompat/v7';
}

export function connectUrl(): string {
  return inject('connectUrl') || process.env.CONNECT_URL || 'http://127.0.0.1:8083';
}

export function testKafka(clientId = 'foreshadow-test'): Kafka {
  return new Kafka({ clientId, brokers: brokers(), logLevel: logLevel.ERROR });
}

/** A topic name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `test.${prefix}.${randomUUID().slice(0, 8)}`;
}

export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka('foreshadow-test-admin').admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates topics and waits for their leaders through the runtime's own helper: kafkajs' wait fails
 * on UNKNOWN_TOPIC_OR_PARTITION when a loaded broker is slow to publish the new metadata (a CI
 * failure of the topic catalogue test).
 */
export async function createTopics(topics: ITopicConfig[]): Promise<void> {
  await withAdmin((admin) => createTopicsAndWait(admin, topics));
}

export async function deleteTopics(names: string[]): Promise<void> {
  await withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const doomed = names.filter((n) => existing.has(n));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  });
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads a topic from the beginning (read_committed) until `stopAfter` first names a delay (ms) and
 * that delay has passed, or until the timeout; returns everything read.
 */
async function readCommitted(
  topic: string,
  timeoutMs: number,
  stopAfter: (all: ConsumedMessage[]) => number | undefined,
): Promise<ConsumedMessage[]> {
  const consumer = testKafka('foreshadow-test-reader').consumer({
    groupId: `test-reader-${randomUUID()}`,
    readUncommitted: false,
  });
  const all: ConsumedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, timeoutMs);
      let stopping = false;
      consumer
        .run({
          eachMessage: async ({ topic: t, partition, message }) => {
            all.push({ topic: t, partition, message });
            const delay = stopping ? undefined : stopAfter(all);
            if (delay === undefined) return;
            stopping = true;
            clearTimeout(timer);
            setTimeout(resolve, delay);
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return all;
}

/**
 * Reads a topic's committed view until at least `atLeast` records arrived, then keeps reading for
 * `graceMs` more so duplicates beyond the expected count show up. Unlike a fixed time window, a
 * slow group join cannot make it return short; it only gives up after `timeoutMs`.
 */
export function consumeSettled(
  topic: string,
  atLeast: number,
  { graceMs = 3_000, timeoutMs = 120_000 }: { graceMs?: number; timeoutMs?: number } = {},
): Promise<ConsumedMessage[]> {
  return readCommitted(topic, timeoutMs, (all) => (all.length >= atLeast ? graceMs : undefined));
}

/**
 * Reads a topic from the beginning (read_committed) until `until` says enough or the timeout
 * passes, then returns everything read.
 */
export function consumeUntil(
  topic: string,
  until: (all: ConsumedMessage[]) => boolean,
  timeoutMs = 60_000,
): Promise<ConsumedMessage[]> {
  return readCommitted(topic, timeoutMs, (all) => (until(all) ? 0 : undefined));
}
