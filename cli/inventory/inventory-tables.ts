/**
 * The `hosts` and `deployments` tables as `inventory apply` reads and writes them: read once from
 * the beginning to their end offsets (read_committed, a throw-away consumer group, tombstones
 * delete), written by an idempotent producer in the registry's Avro, hosts before the resources on
 * them and removed resources before their hosts.
 */
import { randomUUID } from 'node:crypto';
import { type Kafka, Partitioners } from 'kafkajs';
import { DEPLOYMENT_RECORD, type Deployment } from '../../schemas/records/deployment.js';
import { HOST_RECORD, type Host } from '../../schemas/records/host.js';
import { DEPLOYMENTS_TOPIC, HOSTS_TOPIC } from '../../streams/catalogue.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { ForeshadowError } from '../../streams/runtime/errors.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import type { Serde } from '../../streams/runtime/serdes.js';
import { recordSerde } from '../../streams/topic-serdes.js';
import type { Change, InventoryDiff } from './inventory-diff.js';

export interface InventoryTables {
  hosts: Map<string, Host>;
  deployments: Map<string, Deployment>;
  /** Records that could not be decoded (skipped, counted). */
  undecodable: number;
}

export interface TableTopics {
  hosts: string;
  deployments: string;
}

const DEFAULT_TOPICS: TableTopics = { hosts: HOSTS_TOPIC, deployments: DEPLOYMENTS_TOPIC };

/** Latest raw value per key of each topic, read up to the end offsets taken when it started. */
async function readToEnd(
  kafka: Kafka,
  topics: readonly string[],
  timeoutMs: number,
): Promise<Map<string, Map<string, Buffer | null>>> {
  const out = new Map<string, Map<string, Buffer | null>>(topics.map((t) => [t, new Map()]));
  const admin = kafka.admin();
  await admin.connect();
  const pending = new Set<string>();
  try {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic))
        if (BigInt(p.high) > BigInt(p.low)) pending.add(`${topic}:${p.partition}`);
    }
  } finally {
    await admin.disconnect();
  }
  if (pending.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `foreshadow-inventory-${randomUUID()}`, readUncommitted: false });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new ForeshadowError('TIMEOUT', `tables not read to their end within ${timeoutMs / 1000} s`, {
              context: { pending: [...pending] },
            }),
          ),
        timeoutMs,
      );
      // A batch that ends at the partition's end (control records and compacted gaps included).
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        if (Number(e.payload.offsetLag) > 0) return;
        pending.delete(`${e.payload.topic}:${e.payload.partition}`);
        if (pending.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            const table = out.get(batch.topic)!;
            for (const m of batch.messages) if (m.key) table.set(m.key.toString('utf8'), m.value);
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

async function decodeAll<T>(
  raw: Map<string, Buffer | null>,
  topic: string,
  serde: Serde<T>,
): Promise<{ values: Map<string, T>; undecodable: number }> {
  const values = new Map<string, T>();
  let undecodable = 0;
  for (const [key, bytes] of raw) {
    if (bytes === null) continue;
    try {
      values.set(key, await serde.deserialize(topic, bytes));
    } catch {
      undecodable++;
    }
  }
  return { values, undecodable };
}

export async function readInventoryTables(
  conn: KafkaConnection,
  topics: TableTopics = DEFAULT_TOPICS,
  timeoutMs = 30_000,
): Promise<InventoryTables> {
  const kafka = createKafka(conn, `${conn.clientId}-inventory`);
  const raw = await readToEnd(kafka, [topics.hosts, topics.deployments], timeoutMs);
  const hosts = await decodeAll(raw.get(topics.hosts)!, topics.hosts, recordSerde(HOST_RECORD));
  const deployments = await decodeAll(raw.get(topics.deployments)!, topics.deployments, recordSerde(DEPLOYMENT_RECORD));
  return {
    hosts: hosts.values,
    deployments: deployments.values,
    undecodable: hosts.undecodable + deployments.undecodable,
  };
}

/** Writes the diff's records and tombstones; returns how many records were written. */
export async function writeInventoryDiff(
  conn: KafkaConnection,
  diff: InventoryDiff,
  topics: TableTopics = DEFAULT_TOPICS,
): Promise<number> {
  const producer = createKafka(conn, `${conn.clientId}-inventory`).producer({
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const hostSerde = recordSerde(HOST_RECORD);
  const deploymentSerde = recordSerde(DEPLOYMENT_RECORD);
  const messages = async <T>(changes: Change<T>[], topic: string, serde: Serde<T>, tombstones: boolean) => {
    const out: { key: string; value: Buffer | null }[] = [];
    for (const c of changes) {
      if (c.write === undefined || (c.write === null) !== tombstones) continue;
      out.push({ key: c.key, value: c.write === null ? null : await serde.serialize(topic, c.write) });
    }
    return out;
  };
  // Hosts before the resources on them; removed resources before their hosts.
  const steps = [
    { topic: topics.hosts, messages: await messages(diff.hosts, topics.hosts, hostSerde, false) },
    {
      topic: topics.deployments,
      messages: [
        ...(await messages(diff.deployments, topics.deployments, deploymentSerde, false)),
        ...(await messages(diff.deployments, topics.deployments, deploymentSerde, true)),
      ],
    },
    { topic: topics.hosts, messages: await messages(diff.hosts, topics.hosts, hostSerde, true) },
  ];
  let written = 0;
  await producer.connect();
  try {
    for (const s of steps) {
      if (s.messages.length === 0) continue;
      await producer.send({ topic: s.topic, messages: s.messages, acks: -1 });
      written += s.messages.length;
    }
  } finally {
    await producer.disconnect();
  }
  return written;
}
