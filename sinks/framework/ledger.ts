/**
 * The actuation ledger: per provider and resource, the last applied epoch and the recent command
 * ids with their outcome. It makes a non-transactional side effect (a load-balancer change, a DNS
 * update, a process start) safe under Kafka's at-least-once redelivery: a command id seen before
 * is answered DUPLICATE without acting again, and an epoch older than the last applied one is
 * refused.
 *
 * Why a compacted Kafka topic (`actuation.ledger`, key = `<provider>/<subject>`) rather than a
 * local RocksDB: the actuators are themselves failover machinery. When an actuator process or its
 * host dies, another instance in the same consumer group takes over the partitions and must see
 * the same ledger, which a disk-local store cannot give it. The ledger is tiny (one entry per
 * resource, bounded history), so each instance keeps all of it in memory, restores it by reading
 * the topic from the start, and keeps following it so entries written by other instances before a
 * rebalance are visible (`catchUp`).
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { z } from 'zod';
import { ForeshadowError } from '../../streams/runtime/errors.js';
import { ACTUATION_STATUSES } from './types.js';

export const LEDGER_TOPIC = 'actuation.ledger';
/** Command ids remembered per resource; older ids are covered by the epoch fence. */
export const LEDGER_HISTORY = 200;

const ledgerCommandSchema = z.object({
  id: z.string(),
  epoch: z.number(),
  status: z.enum(ACTUATION_STATUSES),
  address: z.string().default(''),
  detail: z.string().default(''),
  at: z.number(),
});
export type LedgerCommand = z.infer<typeof ledgerCommandSchema>;

const ledgerEntrySchema = z.object({
  lastEpoch: z.number(),
  commands: z.array(ledgerCommandSchema),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

export type Decision =
  | { kind: 'duplicate'; prior: LedgerCommand }
  | { kind: 'stale'; lastEpoch: number }
  | { kind: 'apply' };

/** Idempotency first (a redelivered command is a duplicate even if its epoch is now stale), then fencing. */
export function decide(entry: LedgerEntry | undefined, commandId: string, epoch: number): Decision {
  if (!entry) return { kind: 'apply' };
  const prior = entry.commands.find((c) => c.id === commandId);
  if (prior) return { kind: 'duplicate', prior };
  if (epoch < entry.lastEpoch) return { kind: 'stale', lastEpoch: entry.lastEpoch };
  return { kind: 'apply' };
}

/** Only an applied command (succeeded or still in progress) advances the epoch fence. */
export function record(entry: LedgerEntry | undefined, cmd: LedgerCommand): LedgerEntry {
  const applied = cmd.status === 'SUCCEEDED' || cmd.status === 'IN_PROGRESS';
  const last = entry?.lastEpoch ?? Number.NEGATIVE_INFINITY;
  const lastEpoch = applied ? Math.max(last, cmd.epoch) : last;
  const commands = [...(entry?.commands ?? []).filter((c) => c.id !== cmd.id), cmd].slice(-LEDGER_HISTORY);
  return { lastEpoch: Number.isFinite(lastEpoch) ? lastEpoch : -1, commands };
}

export interface CommandLedger {
  get(key: string): Promise<LedgerEntry | undefined>;
  put(key: string, entry: LedgerEntry): Promise<void>;
  /** Makes entries written by other instances up to now visible (after a rebalance). */
  catchUp(): Promise<void>;
  close(): Promise<void>;
}

export function ledgerKey(provider: string, subject: string): string {
  return `${provider}/${subject}`;
}

/** For unit tests and single-process drills: state lives and dies with the process. */
export class MemoryLedger implements CommandLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  async get(key: string): Promise<LedgerEntry | undefined> {
    return this.entries.get(key);
  }
  async put(key: string, entry: LedgerEntry): Promise<void> {
    this.entries.set(key, entry);
  }
  async catchUp(): Promise<void> {}
  async close(): Promise<void> {}
}

export interface KafkaLedgerOptions {
  topic?: string;
  partitions?: number;
  replicationFactor?: number;
  /** Longest wait for the restore / a catch-up. */
  catchUpTimeoutMs?: number;
}

export class KafkaLedger implements CommandLedger {
  private readonly topic: string;
  private readonly entries = new Map<string, LedgerEntry>();
  /** Offset of this instance's last write per key: older records read back must not overwrite it. */
  private readonly ownWrites = new Map<string, bigint>();
  /** Next offset to read per partition. */
  private readonly positions = new Map<number, bigint>();
  private producer: Producer | undefined;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaLedgerOptions = {},
  ) {
    this.topic = options.topic ?? LEDGER_TOPIC;
  }

  async open(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    const existing = await this.admin.listTopics();
    if (!existing.includes(this.topic)) {
      try {
        await this.admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: this.topic,
              numPartitions: this.options.partitions ?? 3,
              replicationFactor: this.options.replicationFactor ?? -1,
              configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
            },
          ],
        });
      } catch (err: unknown) {
        // Another instance may have created it between listTopics and createTopics.
        if (!(await this.admin.listTopics()).includes(this.topic)) throw err;
      }
    }
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    // A throwaway group: the ledger is always read from the start, so no offsets are committed.
    this.consumer = this.kafka.consumer({
      groupId: `foreshadow-ledger-reader-${randomUUID()}`,
      readUncommitted: false,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const offset = BigInt(message.offset);
        this.positions.set(partition, offset + 1n);
        const key = message.key?.toString('utf8');
        if (!key) return;
        const own = this.ownWrites.get(key);
        if (own !== undefined && offset < own) return;
        if (!message.value) {
          this.entries.delete(key);
          return;
        }
        const parsed = ledgerEntrySchema.safeParse(JSON.parse(message.value.toString('utf8')));
        if (parsed.success) this.entries.set(key, parsed.data);
      },
    });
    await this.catchUp();
  }

  async catchUp(): Promise<void> {
    if (!this.admin) throw new ForeshadowError('STORE_CLOSED', 'ledger is not open');
    const targets = await this.admin.fetchTopicOffsets(this.topic);
    const deadline = Date.now() + (this.options.catchUpTimeoutMs ?? 60_000);
    const behind = (): boolean =>
      targets.some((t) => BigInt(t.high) > 0n && (this.positions.get(t.partition) ?? 0n) < BigInt(t.high));
    while (behind()) {
      if (Date.now() > deadline) {
        throw new ForeshadowError('TIMEOUT', `ledger ${this.topic} did not catch up`, { retriable: true });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async get(key: string): Promise<LedgerEntry | undefined> {
    return this.entries.get(key);
  }

  async put(key: string, entry: LedgerEntry): Promise<void> {
    if (!this.producer) throw new ForeshadowError('STORE_CLOSED', 'ledger is not open');
    const [meta] = await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key, value: JSON.stringify(entry) }],
    });
    if (meta?.baseOffset !== undefined) this.ownWrites.set(key, BigInt(meta.baseOffset));
    this.entries.set(key, entry);
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.admin?.disconnect();
  }
}
