/**
 * The actuation ledger: per provider and resource, the last applied epoch and the recent command
 * ids with their outcome. It makes a non-transactional side effect (a load-balancer change, a DNS
 * update, a process start) safe under Kafka's at-least-once redelivery: a command id seen before
 * is answered DUPLICATE without acting again, and an epoch older than the last applied one is
 * refused. Before acting, the consumer records the command as STARTED (an intent); a STARTED
 * command redelivered after a crash is *resumed*: the provider is asked whether the effect is
 * already in place instead of being told to act again (consumer.ts).
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
import { type Logger, pino } from 'pino';
import { z } from 'zod';
import { ACTUATION_LEDGER_TOPIC } from '../../streams/catalogue.js';
import { describeError, ForeshadowError } from '../../streams/runtime/errors.js';
import { createTopicsAndWait } from '../../streams/runtime/topic-admin.js';
import { ACTUATION_STATUSES } from './types.js';

export const LEDGER_TOPIC = ACTUATION_LEDGER_TOPIC;
/** Command ids remembered per resource; older ids are covered by the epoch fence. */
export const LEDGER_HISTORY = 200;

/** STARTED: an intent written before acting; the outcome replaces it once recorded. */
export const LEDGER_STATUSES = [...ACTUATION_STATUSES, 'STARTED'] as const;
export type LedgerStatus = (typeof LEDGER_STATUSES)[number];

const ledgerCommandSchema = z.object({
  id: z.string(),
  epoch: z.number(),
  status: z.enum(LEDGER_STATUSES),
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
  /** Started before (maybe acted) but no outcome recorded: reconcile, do not blindly re-run. */
  | { kind: 'resume'; prior: LedgerCommand }
  | { kind: 'stale'; lastEpoch: number }
  | { kind: 'apply' };

/**
 * Idempotency first (a redelivered command is a duplicate, or resumed, even if its epoch is now
 * stale: it was admitted when it arrived), then fencing.
 */
export function decide(entry: LedgerEntry | undefined, commandId: string, epoch: number): Decision {
  if (!entry) return { kind: 'apply' };
  const prior = entry.commands.find((c) => c.id === commandId);
  if (prior) return prior.status === 'STARTED' ? { kind: 'resume', prior } : { kind: 'duplicate', prior };
  if (epoch < entry.lastEpoch) return { kind: 'stale', lastEpoch: entry.lastEpoch };
  return { kind: 'apply' };
}

/**
 * Only an applied command (succeeded or still in progress) advances the epoch fence; an intent
 * (STARTED) does not, since the command may still fail.
 */
export function record(entry: LedgerEntry | undefined, cmd: LedgerCommand): LedgerEntry {
  const applied = cmd.status === 'SUCCEEDED' || cmd.status === 'IN_PROGRESS';
  const last = entry?.lastEpoch ?? Number.NEGATIVE_INFINITY;
  const lastEpoch = applied ? Math.max(last, cmd.epoch) : last;
  const commands = [...(entry?.commands ?? []).filter((c) => c.id !== cmd.id), cmd].slice(-LEDGER_HISTORY);
  return { lastEpoch: Number.isFinite(lastEpoch) ? lastEpoch : -1, commands };
}

/** A ledger write for the caller to send inside its own Kafka transaction. */
export interface LedgerRecord {
  topic: string;
  key: string;
  value: string;
}

export interface CommandLedger {
  get(key: string): Promise<LedgerEntry | undefined>;
  /** A write of its own (not part of a caller's transaction). */
  put(key: string, entry: LedgerEntry): Promise<void>;
  /**
   * The record storing `entry`, so the consumer writes it in the same transaction as the result
   * and the input offset (all or nothing); undefined when the ledger is not a Kafka topic.
   */
  stage(key: string, entry: LedgerEntry): LedgerRecord | undefined;
  /**
   * Called once the transaction holding a staged record committed (at `offset`), or instead of
   * it for a ledger that is not a topic: the entry becomes what `get` returns.
   */
  confirm(key: string, entry: LedgerEntry, offset: string | undefined): void;
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
  stage(): LedgerRecord | undefined {
    return undefined;
  }
  confirm(key: string, entry: LedgerEntry): void {
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
  /** Where skipped (corrupt) entries are reported; default a pino logger named actuation-ledger. */
  logger?: Logger;
}

export class KafkaLedger implements CommandLedger {
  readonly topic: string;
  private readonly entries = new Map<string, LedgerEntry>();
  /** Offset of this instance's last write per key: older records read back must not overwrite it. */
  private readonly ownWrites = new Map<string, bigint>();
  /** Next offset to read per partition. */
  private readonly positions = new Map<number, bigint>();
  private producer: Producer | undefined;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;

  private readonly log: Logger;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaLedgerOptions = {},
  ) {
    this.topic = options.topic ?? LEDGER_TOPIC;
    this.log = options.logger ?? pino({ name: 'actuation-ledger', level: process.env.LOG_LEVEL ?? 'info' });
  }

  async open(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await createTopicsAndWait(this.admin, [
      {
        topic: this.topic,
        numPartitions: this.options.partitions ?? 3,
        replicationFactor: this.options.replicationFactor ?? -1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ]);
    await this.waitForTopic();
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    // A throwaway group: the ledger is always read from the start, so no offsets are committed.
    // read_committed: an intent or outcome whose transaction aborted never happened.
    this.consumer = this.kafka.consumer({
      groupId: `foreshadow-ledger-reader-${randomUUID()}`,
      readUncommitted: false,
    });
    // Transaction markers and aborted records take offsets but never reach eachMessage; the batch
    // event still reports how far the fetch got, which is what catchUp compares with the end.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, (e) => {
      if (e.payload.topic !== this.topic) return;
      this.advance(e.payload.partition, BigInt(e.payload.lastOffset) + 1n);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const offset = BigInt(message.offset);
        this.advance(partition, offset + 1n);
        const key = message.key?.toString('utf8');
        // A corrupt record is skipped with the reason: thrown, it would stop this reader for good
        // (kafkajs retries the same record for ever) and every catch-up after it would time out.
        const skip = (error: string): void =>
          this.log.warn({ topic: this.topic, partition, offset: message.offset, key, error }, 'ledger entry skipped');
        if (!key) return skip('no key (entries are keyed <provider>/<subject>)');
        const own = this.ownWrites.get(key);
        if (own !== undefined && offset < own) return;
        if (!message.value) {
          this.entries.delete(key);
          return;
        }
        let parsed: ReturnType<typeof ledgerEntrySchema.safeParse>;
        try {
          parsed = ledgerEntrySchema.safeParse(JSON.parse(message.value.toString('utf8')));
        } catch (err: unknown) {
          return skip(describeError(err));
        }
        if (parsed.success) this.entries.set(key, parsed.data);
        else skip(`not a ledger entry: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      },
    });
    await this.catchUp();
  }

  /**
   * Right after it is created, a topic's partitions can be unknown to the broker that answers
   * ("does not host this topic-partition") for longer than kafkajs retries on a loaded machine.
   */
  private async waitForTopic(): Promise<void> {
    const deadline = Date.now() + (this.options.catchUpTimeoutMs ?? 60_000);
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        await this.admin?.fetchTopicOffsets(this.topic);
        return;
      } catch (err: unknown) {
        if (Date.now() > deadline) {
          throw new ForeshadowError('TIMEOUT', `ledger topic ${this.topic} not available`, {
            retriable: true,
            cause: err,
            context: { topic: this.topic },
          });
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private advance(partition: number, next: bigint): void {
    if (next > (this.positions.get(partition) ?? 0n)) this.positions.set(partition, next);
  }

  /**
   * Waits until every record committed before the call is read. The end offsets are last stable
   * offsets (kafkajs lists them read_committed), so a transaction still open does not hold the
   * catch-up back, but it does hide what was committed behind it: that is why the consumer first
   * initialises the transactional producers of its partitions, aborting a dead owner's open write.
   */
  async catchUp(): Promise<void> {
    if (!this.admin) throw new ForeshadowError('STORE_CLOSED', 'ledger is not open');
    const targets = await this.admin.fetchTopicOffsets(this.topic);
    const deadline = Date.now() + (this.options.catchUpTimeoutMs ?? 60_000);
    const behind = (): boolean =>
      targets.some((t) => BigInt(t.high) > 0n && (this.positions.get(t.partition) ?? 0n) < BigInt(t.high));
    while (behind()) {
      if (Date.now() > deadline) {
        throw new ForeshadowError('TIMEOUT', `ledger ${this.topic} did not catch up`, {
          retriable: true,
          context: {
            behind: targets
              .filter((t) => (this.positions.get(t.partition) ?? 0n) < BigInt(t.high))
              .map((t) => ({ partition: t.partition, at: String(this.positions.get(t.partition) ?? 0n), end: t.high })),
          },
        });
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
    this.confirm(key, entry, meta?.baseOffset);
  }

  stage(key: string, entry: LedgerEntry): LedgerRecord {
    return { topic: this.topic, key, value: JSON.stringify(entry) };
  }

  confirm(key: string, entry: LedgerEntry, offset: string | undefined): void {
    if (offset !== undefined) this.ownWrites.set(key, BigInt(offset));
    this.entries.set(key, entry);
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.admin?.disconnect();
  }
}
