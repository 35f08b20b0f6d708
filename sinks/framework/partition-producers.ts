/**
 * One transactional producer per command partition, with the stable transactional id
 * `<groupId>-<topic>-<partition>` (Kafka Streams' exactly-once before KIP-447). Whichever actuator
 * instance owns a partition writes that partition's ledger entries, results and input offset in
 * one transaction, so an outcome is recorded, announced and consumed together or not at all.
 *
 * A new owner of the partition (another instance after a rebalance, or the same process restarted
 * after a crash) initialises the same transactional id. That fences the previous owner, whose next
 * write fails instead of landing, and aborts the transaction it left open, which would otherwise
 * hold every read_committed reader of the ledger and results back until the transaction timeout.
 */
import type { IHeaders, Kafka, Producer, RecordMetadata } from 'kafkajs';
import { isProducerFenced } from '../../streams/runtime/app/kafka-errors.js';
import { describeError, ForeshadowError } from '../../streams/runtime/errors.js';

export interface PartitionRef {
  topic: string;
  partition: number;
}

export interface OutgoingMessage {
  topic: string;
  key: string;
  value: Buffer | string;
  headers?: IHeaders;
}

export interface TransactionalWrite {
  messages: OutgoingMessage[];
  /** The next offset to consume on the command partition, committed with the messages. */
  nextOffset?: string;
}

const refKey = (r: PartitionRef): string => `${r.topic}\u0000${r.partition}`;

export class PartitionProducers {
  private readonly producers = new Map<string, Promise<Producer>>();
  /** Partitions whose producer was fenced: not re-initialised (that would fence the new owner) until assigned again. */
  private readonly fenced = new Set<string>();

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly transactionTimeoutMs = 30_000,
  ) {}

  transactionalId(ref: PartitionRef): string {
    return `${this.groupId}-${ref.topic}-${ref.partition}`;
  }

  /**
   * After a rebalance: initialise the producers of the partitions now owned (fencing any previous
   * owner and aborting its open transaction) and close the ones no longer owned.
   */
  async assign(refs: PartitionRef[]): Promise<void> {
    const wanted = new Set(refs.map(refKey));
    for (const [k, p] of [...this.producers]) {
      if (wanted.has(k)) continue;
      this.producers.delete(k);
      await p.then((x) => x.disconnect()).catch(() => undefined);
    }
    for (const r of refs) this.fenced.delete(refKey(r));
    await Promise.all(refs.map((r) => this.producer(r)));
  }

  private producer(ref: PartitionRef): Promise<Producer> {
    const k = refKey(ref);
    if (this.fenced.has(k)) {
      return Promise.reject(
        new ForeshadowError('FENCED', 'another actuator instance owns this command partition now', {
          retriable: true,
          context: { ...ref },
        }),
      );
    }
    let p = this.producers.get(k);
    if (!p) {
      p = this.open(ref);
      this.producers.set(k, p);
      // A failed start is not cached: the next write tries again.
      p.catch(() => {
        if (this.producers.get(k) === p) this.producers.delete(k);
      });
    }
    return p;
  }

  private async open(ref: PartitionRef): Promise<Producer> {
    const producer = this.kafka.producer({
      transactionalId: this.transactionalId(ref),
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.transactionTimeoutMs,
      // A transaction begun right after the previous commit meets CONCURRENT_TRANSACTIONS until
      // the broker has written the markers (milliseconds); kafkajs' default first back-off of
      // 300 ms would make every command wait for it.
      retry: { initialRetryTime: 20, maxRetryTime: 5_000, retries: 12 },
    });
    await producer.connect();
    // An empty transaction initialises the producer id: this is the moment the previous owner is
    // fenced and its open transaction aborted.
    await (await producer.transaction()).abort();
    return producer;
  }

  /** Writes the messages and the input offset in one transaction; returns where the messages landed. */
  async commit(ref: PartitionRef, write: TransactionalWrite): Promise<RecordMetadata[]> {
    const producer = await this.producer(ref);
    const txn = await producer.transaction();
    try {
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (const m of write.messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
      const meta =
        byTopic.size > 0
          ? await txn.sendBatch({
              acks: -1,
              topicMessages: [...byTopic].map(([topic, ms]) => ({
                topic,
                messages: ms.map(({ key, value, headers }) => ({ key, value, ...(headers ? { headers } : {}) })),
              })),
            })
          : [];
      if (write.nextOffset !== undefined) {
        await txn.sendOffsets({
          consumerGroupId: this.groupId,
          topics: [{ topic: ref.topic, partitions: [{ partition: ref.partition, offset: write.nextOffset }] }],
        });
      }
      await txn.commit();
      return meta;
    } catch (err: unknown) {
      const aborted = await txn.abort().then(
        () => true,
        () => false,
      );
      const k = refKey(ref);
      if (isProducerFenced(err)) {
        this.fenced.add(k);
        this.producers.delete(k);
        await producer.disconnect().catch(() => undefined);
      } else if (!aborted) {
        // The producer is stuck mid-transaction: start a fresh one for the next write.
        this.producers.delete(k);
        await producer.disconnect().catch(() => undefined);
      }
      throw new ForeshadowError('TRANSACTION_FAILED', `actuator transaction failed: ${describeError(err)}`, {
        retriable: true,
        cause: err,
        context: { ...ref, transactionalId: this.transactionalId(ref), fenced: isProducerFenced(err) },
      });
    }
  }

  async close(): Promise<void> {
    const all = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(all.map((p) => p.then((x) => x.disconnect()).catch(() => undefined)));
  }
}
