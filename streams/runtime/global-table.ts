/**
 * A global table: every partition of a (compacted) topic read from the beginning into memory, the
 * latest value per key, kept up to date while the process runs. What Kafka Streams' GlobalKTable
 * gives every instance of an app, kept outside the task engine: it is not part of any task, its
 * records are not synchronised with stream time, and readers see a value as soon as it is read.
 * For small tables every instance needs whole (the failure-risk fleet model), not for per-key state.
 *
 * Read committed, with a throwaway consumer group (nothing is committed: it always starts from the
 * beginning). `start` resolves once everything committed before it was called is read. A record
 * that does not decode is skipped with a warning: thrown, it would stop the reader for good.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { type KafkaConnection, loadConnection } from './config.js';
import { describeError, ForeshadowError } from './errors.js';
import { createKafka } from './kafka-client.js';
import { createLogger, type Logger } from './logger.js';
import type { Serde } from './serdes.js';

export interface GlobalTableOptions<V> {
  topic: string;
  valueSerde: Serde<V>;
  connection?: KafkaConnection;
  /** Client id prefix (and consumer group prefix). */
  clientId?: string;
  logger?: Logger;
  /** How long `start` waits to catch up before it fails. */
  catchUpTimeoutMs?: number;
}

export class GlobalTable<V> {
  readonly topic: string;
  private readonly values = new Map<string, V>();
  /** Next offset to read per partition. */
  private readonly positions = new Map<number, bigint>();
  private readonly kafka: Kafka;
  private readonly log: Logger;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private listeners: Array<(key: string, value: V | undefined) => void> = [];

  constructor(private readonly options: GlobalTableOptions<V>) {
    this.topic = options.topic;
    const clientId = options.clientId ?? 'foreshadow-global-table';
    this.kafka = createKafka(options.connection ?? loadConnection(), clientId);
    this.log = (options.logger ?? createLogger('global-table')).child({ topic: this.topic });
  }

  /** The latest value of `key`, undefined when absent or deleted. */
  get(key: string): V | undefined {
    return this.values.get(key);
  }

  /** Called with every key read after `start` (value undefined for a tombstone). */
  onUpdate(listener: (key: string, value: V | undefined) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    const consumer = this.kafka.consumer({
      groupId: `${this.options.clientId ?? 'foreshadow-global-table'}-${randomUUID()}`,
      readUncommitted: false,
    });
    this.consumer = consumer;
    // Transaction markers take offsets but never reach eachMessage; the batch event still says how
    // far the fetch got, which is what the catch-up compares with the end offsets.
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      if (e.payload.topic === this.topic) this.advance(e.payload.partition, BigInt(e.payload.lastOffset) + 1n);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        this.advance(partition, BigInt(message.offset) + 1n);
        const key = message.key?.toString('utf8');
        if (key === undefined) {
          this.log.warn({ partition, offset: message.offset }, 'record without a key skipped');
          return;
        }
        let value: V | undefined;
        if (message.value !== null) {
          try {
            value = await this.options.valueSerde.deserialize(this.topic, message.value);
          } catch (err: unknown) {
            this.log.warn({ partition, offset: message.offset, key, error: describeError(err) }, 'record skipped');
            return;
          }
        }
        if (value === undefined) this.values.delete(key);
        else this.values.set(key, value);
        for (const l of this.listeners) l(key, value);
      },
    });
    await this.catchUp();
  }

  private advance(partition: number, next: bigint): void {
    if (next > (this.positions.get(partition) ?? 0n)) this.positions.set(partition, next);
  }

  /** Waits until every record committed before the call has been read. */
  async catchUp(): Promise<void> {
    const admin = this.admin;
    if (!admin) throw new ForeshadowError('NOT_CONNECTED', `global table ${this.topic} is not started`);
    const ends = await admin.fetchTopicOffsets(this.topic);
    const deadline = Date.now() + (this.options.catchUpTimeoutMs ?? 60_000);
    for (;;) {
      const behind = ends.filter((e) => (this.positions.get(e.partition) ?? 0n) < BigInt(e.offset));
      if (behind.length === 0) return;
      if (Date.now() > deadline)
        throw new ForeshadowError('TIMEOUT', `global table ${this.topic} did not catch up`, {
          retriable: true,
          context: { behind: behind.map((e) => e.partition) },
        });
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    this.admin = undefined;
  }
}
