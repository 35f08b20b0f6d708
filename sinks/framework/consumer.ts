/**
 * The command consumer every actuator runs: reads shadow.commands and/or failover.commands in the
 * provider's own consumer group, keeps only the commands the provider accepts, and for each one
 *   1. answers DUPLICATE (re-stating the first outcome) if its commandId is in the ledger,
 *   2. answers REJECTED_STALE_EPOCH if its epoch is older than the last applied to the resource,
 *   3. otherwise records an intent (ledger status STARTED) in its own transaction, then calls the
 *      provider, retrying transient errors with backoff, and
 *   4. writes the outcome to the ledger, the result to actuation.results and the input offset in
 *      ONE transaction (partition-producers.ts): recorded, announced and consumed, or none of it.
 * A crash between 3 and 4 (the provider may have acted, nothing is recorded) redelivers the command
 * with its intent in the ledger: it is *resumed*, i.e. the provider's `reconcile` looks at the
 * real system (is the shadow already primary? already replicating?) and the effect found there is
 * recorded without acting again; only a command whose effect is absent is carried out. A provider
 * without `reconcile` has its (convergent) verb re-run. Records of one resource share a
 * partition, so they are handled in order, and only the partition's owner can write its outcome.
 *
 * Only the partition's owner may act, too: before each provider call the instance checks its
 * ownership lease, half the session timeout from its last successful group heartbeat. The group
 * hands a partition to another instance only after this one's session has expired (or after it
 * rejoined without it), so within the lease no one else can be acting on the resource. An instance
 * frozen (SIGSTOP, a VM pause, a stalled disk) after recording an intent finds its lease expired on
 * waking, and leaves the command to the new owner, which resumes it, instead of carrying out a
 * command that may since have been superseded by a newer epoch.
 *
 * An advisory command (a recommendation of a manager or orchestrator in advise mode) is never
 * carried out: it is read past before any provider sees it, with no ledger entry (it must not
 * count as applied, nor its epoch as seen) and no result (nothing waits for one). It is logged and
 * counted (`advisorySkipped`).
 */

import { hostname } from 'node:os';
import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { type Logger, pino } from 'pino';
import { ACTUATION_RESULTS_TOPIC, FAILOVER_COMMANDS_TOPIC, SHADOW_COMMANDS_TOPIC } from '../../streams/catalogue.js';
import { DLQ_HEADERS, deadLetterTopic, fitDeadLetter, recordBytes } from '../../streams/runtime/dead-letter.js';
import { describeError, ForeshadowError, isRetriable } from '../../streams/runtime/errors.js';
import type { ActuatorMetrics } from './actuator-metrics.js';
import type { CommandCodec } from './codec.js';
import { ACTUATION_UNCLASSIFIED } from './errors.js';
import { type CommandLedger, decide, type LedgerEntry, type LedgerStatus, ledgerKey, record } from './ledger.js';
import { type OutgoingMessage, PartitionProducers, type PartitionRef } from './partition-producers.js';
import {
  RetriesExhausted,
  type RetryOutcome,
  type RetryPolicy,
  type RetryPolicyInput,
  retryPolicySchema,
  withRetry,
} from './retry.js';
import {
  type ActuationContext,
  type ActuationResult,
  type ActuatorCommand,
  type ActuatorProvider,
  implementsCommand,
  type Outcome,
  subjectOf,
  VERB_OF_SHADOW_TYPE,
} from './types.js';

export { ACTUATION_RESULTS_TOPIC, FAILOVER_COMMANDS_TOPIC, SHADOW_COMMANDS_TOPIC };

/** Points in handling a command where a test can inject a fault (see `faultInjection`). */
export type FaultPoint =
  /** The intent is recorded, the provider not yet called. */
  | 'after-intent'
  /** The provider has carried the command out; its outcome is not recorded yet. */
  | 'after-action';

export interface ActuatorConsumerOptions {
  kafka: Kafka;
  provider: ActuatorProvider;
  codec: CommandCodec;
  ledger: CommandLedger;
  /** Topics to read; defaults to both command topics. Empty string = do not read it. */
  shadowTopic?: string;
  failoverTopic?: string;
  resultsTopic?: string;
  /** Defaults to `foreshadow-actuator-<provider>`; also prefixes the transactional ids. */
  groupId?: string;
  retry?: RetryPolicyInput;
  /** Partitions handled in parallel, so one slow launch does not hold up other resources. */
  concurrency?: number;
  /** Read from the start when the group has no offsets (tests, first deployment). */
  fromBeginning?: boolean;
  /** Broker-side timeout of an open transaction left by a dead instance nobody took over from. */
  transactionTimeoutMs?: number;
  /** How long a silent (dead, frozen) instance keeps its partitions; default 30 s. */
  sessionTimeoutMs?: number;
  /**
   * Fault injection for crash tests only (never set in production): awaited at each point, e.g.
   * to SIGKILL the process between carrying a command out and recording it.
   */
  faultInjection?: (point: FaultPoint, c: ActuatorCommand) => void | Promise<void>;
  logger?: Logger;
  /** Counts outcomes and dead letters (foreshadow run serves them on /metrics). */
  metrics?: ActuatorMetrics;
}

/** Logs never carry command `config` (it may hold per-resource credentials) nor provider secrets. */
export function actuatorLogger(provider: string): Logger {
  return pino({
    name: `actuator-${provider}`,
    level: process.env.LOG_LEVEL ?? 'info',
    base: { provider, host: hostname() },
    redact: {
      paths: ['*.config', '*.password', '*.secret', '*.token', 'config', 'password', 'secret'],
      censor: '[redacted]',
    },
  });
}

/** This instance's ownership lease had expired when it was about to act. */
export class LeaseExpired extends ForeshadowError {
  constructor(why: string, context: Record<string, unknown>) {
    super('FENCED', `ownership lease expired (${why}): not acting`, { context });
    this.name = 'LeaseExpired';
  }
}

function isLeaseExpired(err: unknown): boolean {
  return err instanceof LeaseExpired || (err instanceof RetriesExhausted && err.last instanceof LeaseExpired);
}

function describeCause(err: unknown): string {
  const base = err instanceof RetriesExhausted ? err.last : err;
  return describeError(base);
}

/** A provider's outcome, and whether it was found in place (reconciled) rather than produced. */
interface Resumed {
  outcome: Outcome;
  observed: boolean;
}

/** What one command's handling writes in its final transaction. */
interface Closing {
  /** The ledger entry to store (none for a DUPLICATE answer). */
  entry?: { key: string; value: LedgerEntry };
  result: Partial<ActuationResult> & Pick<ActuationResult, 'status'>;
}

export class ActuatorConsumer {
  private readonly provider: ActuatorProvider;
  private readonly resultsTopic: string;
  private readonly topics: Array<{ topic: string; source: 'shadow' | 'failover' }>;
  private readonly groupId: string;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private readonly producers: PartitionProducers;
  private consumer: Consumer | undefined;
  private readonly retry: RetryPolicy;
  /** The pending or finished producer initialisation + ledger catch-up that records wait for. */
  private ledgerCaughtUp: Promise<void> | undefined;
  /** Ownership lease: last proof of group membership, its length, and a way to renew it. */
  private provenAt = 0;
  private leaseMs = Number.POSITIVE_INFINITY;
  /** Counts group joins: a command started under one membership is never acted on under another. */
  private membership = 0;
  private heartbeat: (() => Promise<void>) | undefined;
  private skippedAdvisory = 0;

  /** Advisory commands read past without acting since start. */
  get advisorySkipped(): number {
    return this.skippedAdvisory;
  }

  constructor(private readonly options: ActuatorConsumerOptions) {
    this.provider = options.provider;
    this.resultsTopic = options.resultsTopic ?? ACTUATION_RESULTS_TOPIC;
    const shadow = options.shadowTopic ?? SHADOW_COMMANDS_TOPIC;
    const failover = options.failoverTopic ?? FAILOVER_COMMANDS_TOPIC;
    this.topics = [
      ...(shadow ? [{ topic: shadow, source: 'shadow' as const }] : []),
      ...(failover ? [{ topic: failover, source: 'failover' as const }] : []),
    ];
    this.groupId = options.groupId ?? `foreshadow-actuator-${this.provider.name}`;
    this.log = options.logger ?? actuatorLogger(this.provider.name);
    this.retry = retryPolicySchema.parse(options.retry ?? {});
    this.producers = new PartitionProducers(options.kafka, this.groupId, options.transactionTimeoutMs);
  }

  async start(): Promise<void> {
    const { kafka } = this.options;
    const sessionTimeout = this.options.sessionTimeoutMs ?? 30_000;
    this.leaseMs = sessionTimeout / 2;
    this.consumer = kafka.consumer({
      groupId: this.groupId,
      readUncommitted: false,
      // Long actions heartbeat explicitly; this only bounds a dead process.
      sessionTimeout,
      // Well inside the lease (half the session): at the broker's minimum session (6 s) kafkajs'
      // default 3 s would put a due heartbeat right at the lease's end.
      heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 6)),
    });
    // The event fires on the response, a little after the coordinator's session clock restarted:
    // the lease (half the session) leaves that round trip far behind.
    this.consumer.on(this.consumer.events.HEARTBEAT, () => {
      this.provenAt = Date.now();
    });
    // Partitions may arrive from an instance that died mid-transaction or wrote ledger entries we
    // have not read yet. Their producers are initialised first (fencing that instance and
    // aborting its open transaction), then the ledger is caught up; records wait for both.
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.membership++;
      this.provenAt = Date.now();
      const refs: PartitionRef[] = [];
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        if (this.topics.some((t) => t.topic === topic))
          for (const partition of partitions) refs.push({ topic, partition });
      }
      const ready = this.producers.assign(refs).then(() => this.options.ledger.catchUp());
      ready.catch((err: unknown) => this.log.warn({ err: describeError(err) }, 'partition take-over failed'));
      this.ledgerCaughtUp = ready;
    });
    await this.consumer.connect();
    for (const t of this.topics) {
      await this.consumer.subscribe({ topic: t.topic, fromBeginning: this.options.fromBeginning ?? false });
    }
    await this.consumer.run({
      partitionsConsumedConcurrently: this.options.concurrency ?? 3,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        const source = this.topics.find((t) => t.topic === topic)?.source;
        if (!source) return;
        this.heartbeat = heartbeat;
        const beat = setInterval(() => {
          heartbeat().catch(() => undefined);
        }, 3_000);
        try {
          await this.ledgerReady();
          await this.handle(source, message, topic, partition);
        } finally {
          clearInterval(beat);
        }
      },
    });
    this.log.info({ topics: this.topics.map((t) => t.topic) }, 'actuator started');
  }

  private async ledgerReady(): Promise<void> {
    this.ledgerCaughtUp ??= this.options.ledger.catchUp();
    try {
      await this.ledgerCaughtUp;
    } catch (err: unknown) {
      // A failed catch-up is retried by the next record rather than remembered forever.
      this.ledgerCaughtUp = undefined;
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.abort.abort(new ForeshadowError('ACTUATION_FAILED', 'actuator stopping', { retriable: true }));
    await this.consumer?.disconnect();
    await this.producers.close();
    await this.provider.close?.();
    this.log.info('actuator stopped');
  }

  /**
   * Decodes one record. An undecodable record carries no command id to answer, so it goes to the
   * source topic's dead-letter topic with the reason (with its offset, in one transaction).
   */
  private async decode(
    source: 'shadow' | 'failover',
    message: KafkaMessage,
    ref: PartitionRef,
  ): Promise<ActuatorCommand | undefined> {
    try {
      // Command topics are not tables: a null value is a broken record, not a tombstone.
      if (!message.value) throw new ForeshadowError('DESERIALIZATION_FAILED', 'null value: no command in the record');
      return source === 'shadow'
        ? { source, command: await this.options.codec.decodeShadow(message.value) }
        : { source, command: await this.options.codec.decodeFailover(message.value) };
    } catch (err: unknown) {
      this.log.error(
        { topic: ref.topic, partition: ref.partition, offset: message.offset, err: describeError(err) },
        'undecodable command dead-lettered',
      );
      const value = message.value ?? Buffer.alloc(0);
      // A command just under the broker's size limit would not fit again with these headers: the
      // dead letter would be refused and the partition retried (and held up) for ever.
      const body = fitDeadLetter(
        {
          key: message.key,
          value,
          headers: {
            [DLQ_HEADERS.sourceTopic]: ref.topic,
            [DLQ_HEADERS.sourcePartition]: String(ref.partition),
            [DLQ_HEADERS.sourceOffset]: message.offset,
            [DLQ_HEADERS.processor]: `actuator:${this.provider.name}`,
            [DLQ_HEADERS.error]: describeError(err).slice(0, 1000),
            [DLQ_HEADERS.reason]:
              err instanceof ForeshadowError && err.code === 'VALIDATION_FAILED'
                ? 'absurd command'
                : 'undecodable command',
          },
        },
        recordBytes({ key: message.key, value, headers: {} }),
      );
      await this.producers.commit(ref, {
        messages: [
          {
            topic: deadLetterTopic(ref.topic),
            key: body.key?.toString('utf8') ?? '',
            value: body.value ?? Buffer.alloc(0),
            headers: body.headers,
          },
        ],
        nextOffset: nextOffset(message),
      });
      this.options.metrics?.deadLetters.inc({ provider: this.provider.name });
      return undefined;
    }
  }

  /** Handles one record; exported behaviour is entirely in the results it produces. */
  async handle(source: 'shadow' | 'failover', message: KafkaMessage, topic: string, partition: number): Promise<void> {
    const ref: PartitionRef = { topic, partition };
    const membership = this.membership;
    const c = await this.decode(source, message, ref);
    if (!c) return;
    if (c.command.advisory) {
      this.skippedAdvisory++;
      this.options.metrics?.advisorySkipped.inc({ provider: this.provider.name, type: c.command.type });
      this.log.info(
        { commandId: c.command.commandId, type: c.command.type, subject: subjectOf(c) },
        'advisory command (advise mode): recorded upstream, not carried out',
      );
      return;
    }
    if (!this.provider.accepts(c) || !implementsCommand(this.provider, c)) return;
    const { ledger } = this.options;
    const subject = subjectOf(c);
    const key = ledgerKey(this.provider.name, subject);
    const entry = await ledger.get(key);
    const { commandId, epoch, type } = c.command;
    const logCtx = { commandId, type, subject, epoch };
    const verdict = decide(entry, commandId, epoch);
    if (verdict.kind === 'duplicate') {
      this.log.info({ ...logCtx, prior: verdict.prior.status }, 'duplicate command not re-applied');
      await this.finish(ref, message, c, {
        result: {
          status: 'DUPLICATE',
          address: verdict.prior.address,
          detail: `already handled: ${verdict.prior.status}${verdict.prior.detail ? ` (${verdict.prior.detail})` : ''}`,
        },
      });
      return;
    }
    if (verdict.kind === 'stale') {
      this.log.warn({ ...logCtx, lastEpoch: verdict.lastEpoch }, 'stale epoch refused');
      const detail = `epoch ${epoch} is older than last applied epoch ${verdict.lastEpoch}`;
      await this.finish(ref, message, c, {
        entry: { key, value: this.entryWith(entry, c, 'REJECTED_STALE_EPOCH', '', detail) },
        result: { status: 'REJECTED_STALE_EPOCH', detail },
      });
      return;
    }
    const resumed = verdict.kind === 'resume';
    let started = entry;
    if (resumed) {
      this.log.warn({ ...logCtx, startedAt: verdict.prior.at }, 'command interrupted after it started; reconciling');
    } else {
      // The intent, durable before anything is done, is what makes a crash after acting visible.
      started = this.entryWith(entry, c, 'STARTED', '', '');
      await this.writeLedger(ref, key, started);
      await this.options.faultInjection?.('after-intent', c);
    }
    const t0 = Date.now();
    let attempts = 1;
    let run: RetryOutcome<Resumed>;
    try {
      run = await withRetry(
        this.retry,
        async (attempt) => {
          attempts = attempt;
          await this.checkLease(membership);
          const ctx = this.context(ref, c, attempt, t0);
          return resumed ? this.resume(c, ctx) : this.invoke(c, ctx).then((o) => ({ outcome: o, observed: false }));
        },
        {
          signal: this.abort.signal,
          onRetry: (attempt, err, delayMs) =>
            this.log.warn({ ...logCtx, attempt, delayMs, err: describeError(err) }, 'transient failure, retrying'),
        },
      );
    } catch (err: unknown) {
      if (this.abort.signal.aborted) throw err; // not handled: redelivered to whoever takes over
      if (isLeaseExpired(err)) {
        // Not handled either: the new owner resumes it from the intent; if this instance is still
        // the owner after all (a slow heartbeat), the redelivery finds its own intent and resumes.
        this.log.warn(
          { ...logCtx, err: describeCause(err) },
          'ownership lease expired before acting; left to the owner',
        );
        throw err;
      }
      const last = err instanceof RetriesExhausted ? err.last : err;
      const retriable = isRetriable(last, { unclassified: ACTUATION_UNCLASSIFIED });
      const detail = describeCause(err);
      await this.finish(ref, message, c, {
        entry: { key, value: this.entryWith(started, c, 'FAILED', '', detail) },
        result: { status: 'FAILED', retriable, detail, durationMs: Date.now() - t0, attempt: attempts },
      });
      this.log.error({ ...logCtx, attempts, retriable, err: detail }, 'command failed');
      return;
    }
    // Acted. From here a failure to record is never turned into FAILED: it propagates, the command
    // is redelivered with its intent, and the redelivery finds the effect in place.
    const { outcome, observed } = run.value;
    await this.options.faultInjection?.('after-action', c);
    const status = outcome.status ?? 'SUCCEEDED';
    const detail = observed
      ? `${outcome.detail ? `${outcome.detail}; ` : ''}found in place after an interrupted run, not re-applied`
      : (outcome.detail ?? '');
    await this.finish(ref, message, c, {
      entry: { key, value: this.entryWith(started, c, status, outcome.address ?? '', detail) },
      result: { ...outcome, status, detail, durationMs: Date.now() - t0, attempt: run.attempts },
    });
    this.log.info(
      { ...logCtx, status, observed, attempts: run.attempts, durationMs: Date.now() - t0 },
      observed ? 'interrupted command found applied; recorded' : 'command applied',
    );
  }

  /**
   * Renews the lease if a heartbeat is due (kafkajs sends one only past its interval), then refuses
   * to go on if the last successful one is older than the lease, or if the instance has rejoined
   * the group since it took the command up (the partition may have had another owner meanwhile,
   * even if it came back). Without a running consumer (commands handed to `handle` directly)
   * there is no group and nothing to check.
   */
  private async checkLease(membership: number): Promise<void> {
    if (!this.consumer) return;
    await this.heartbeat?.().catch(() => undefined);
    const age = Date.now() - this.provenAt;
    const context = { ageMs: age, leaseMs: this.leaseMs, membership, now: this.membership };
    if (age > this.leaseMs) throw new LeaseExpired(`last heartbeat ${age} ms ago, lease ${this.leaseMs} ms`, context);
    if (membership !== this.membership)
      throw new LeaseExpired('rejoined the group since taking the command up', context);
  }

  /**
   * A resumed command: look before acting. The provider reports an effect already in place, or
   * the verb runs (also when the provider cannot look, relying on its verbs converging).
   */
  private async resume(c: ActuatorCommand, ctx: ActuationContext): Promise<Resumed> {
    if (this.provider.reconcile) {
      const found = await this.provider.reconcile(c, ctx);
      if (found) return { outcome: found, observed: true };
    } else {
      this.log.warn({ commandId: c.command.commandId }, 'provider cannot reconcile; re-running its convergent verb');
    }
    return { outcome: await this.invoke(c, ctx), observed: false };
  }

  private invoke(c: ActuatorCommand, ctx: ActuationContext): Promise<Outcome> {
    if (c.source === 'failover') {
      const step = this.provider.failoverStep;
      if (!step) throw new ForeshadowError('ACTUATION_FAILED', 'provider has no failover step');
      return step.call(this.provider, c.command, ctx);
    }
    const fn = this.provider[VERB_OF_SHADOW_TYPE[c.command.type]];
    if (typeof fn !== 'function') throw new ForeshadowError('ACTUATION_FAILED', `provider cannot ${c.command.type}`);
    return (fn as (cmd: typeof c.command, ctx: ActuationContext) => Promise<Outcome>).call(
      this.provider,
      c.command,
      ctx,
    );
  }

  private context(ref: PartitionRef, c: ActuatorCommand, attempt: number, started: number): ActuationContext {
    return {
      attempt,
      signal: this.abort.signal,
      progress: async (outcome) => {
        const msg = await this.resultMessage(c, {
          ...outcome,
          status: 'IN_PROGRESS',
          durationMs: Date.now() - started,
          attempt,
        });
        await this.producers.commit(ref, { messages: [msg] });
      },
    };
  }

  private entryWith(
    entry: LedgerEntry | undefined,
    c: ActuatorCommand,
    status: LedgerStatus,
    address: string,
    detail: string,
  ): LedgerEntry {
    return record(entry, { id: c.command.commandId, epoch: c.command.epoch, status, address, detail, at: Date.now() });
  }

  /** A ledger write alone (the intent), in a transaction of the partition's producer. */
  private async writeLedger(ref: PartitionRef, key: string, entry: LedgerEntry): Promise<void> {
    const staged = this.options.ledger.stage(key, entry);
    const meta = staged ? await this.producers.commit(ref, { messages: [staged] }) : [];
    this.options.ledger.confirm(
      key,
      entry,
      staged ? meta.find((m) => m.topicName === staged.topic)?.baseOffset : undefined,
    );
  }

  /** The final transaction of one command: ledger entry, result and input offset, all or nothing. */
  private async finish(ref: PartitionRef, message: KafkaMessage, c: ActuatorCommand, closing: Closing): Promise<void> {
    const { ledger } = this.options;
    const staged = closing.entry ? ledger.stage(closing.entry.key, closing.entry.value) : undefined;
    const result = await this.resultMessage(c, closing.result);
    const meta = await this.producers.commit(ref, {
      messages: staged ? [staged, result] : [result],
      nextOffset: nextOffset(message),
    });
    if (closing.entry) {
      const offset = staged ? meta.find((m) => m.topicName === staged.topic)?.baseOffset : undefined;
      ledger.confirm(closing.entry.key, closing.entry.value, offset);
    }
    const labels = { provider: this.provider.name, type: c.command.type };
    this.options.metrics?.outcomes.inc({ ...labels, status: closing.result.status });
    if (closing.result.durationMs !== undefined)
      this.options.metrics?.duration.observe(labels, closing.result.durationMs / 1000);
  }

  private async resultMessage(
    c: ActuatorCommand,
    r: Partial<ActuationResult> & Pick<ActuationResult, 'status'>,
  ): Promise<OutgoingMessage> {
    const result: ActuationResult = {
      commandId: c.command.commandId,
      commandType: c.command.type,
      subject: subjectOf(c),
      provider: this.provider.name,
      epoch: c.command.epoch,
      status: r.status,
      retriable: r.retriable ?? false,
      address: r.address ?? '',
      lagBytes: r.lagBytes ?? null,
      lagMs: r.lagMs ?? null,
      durationMs: r.durationMs ?? 0,
      attempt: r.attempt ?? (c.source === 'shadow' ? c.command.attempt : 1),
      detail: r.detail ?? '',
      timestamp: Date.now(),
    };
    const headers: IHeaders = { 'x-foreshadow-provider': this.provider.name };
    return {
      topic: this.resultsTopic,
      key: result.subject,
      value: await this.options.codec.encodeResult(this.resultsTopic, result),
      headers,
    };
  }
}

function nextOffset(message: KafkaMessage): string {
  return (BigInt(message.offset) + 1n).toString();
}
