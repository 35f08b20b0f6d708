/**
 * The command consumer every actuator runs: reads shadow.commands and/or failover.commands in the
 * provider's own consumer group, keeps only the commands the provider accepts, and for each one
 *   1. answers DUPLICATE (re-stating the first outcome) if its commandId is in the ledger,
 *   2. answers REJECTED_STALE_EPOCH if its epoch is older than the last applied to the resource,
 *   3. otherwise calls the provider, retrying transient errors with backoff, and
 *   4. records the outcome in the ledger BEFORE producing the result and committing the offset.
 * Step 4's order means a crash can at worst re-run a side effect (providers are written to be
 * idempotent: same address, same record, same replica) but never lose the fact that it ran.
 * Records of one resource share a partition, so they are handled in order.
 */

import { hostname } from 'node:os';
import type { Consumer, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { type Logger, pino } from 'pino';
import { DLQ_HEADERS, deadLetterTopic } from '../../streams/runtime/dead-letter.js';
import { describeError, ForeshadowError } from '../../streams/runtime/errors.js';
import type { CommandCodec } from './codec.js';
import { type CommandLedger, decide, type LedgerEntry, ledgerKey, record } from './ledger.js';
import { RetriesExhausted, type RetryPolicy, type RetryPolicyInput, retryPolicySchema, withRetry } from './retry.js';
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

export const SHADOW_COMMANDS_TOPIC = 'shadow.commands';
export const FAILOVER_COMMANDS_TOPIC = 'failover.commands';
export const ACTUATION_RESULTS_TOPIC = 'actuation.results';

export interface ActuatorConsumerOptions {
  kafka: Kafka;
  provider: ActuatorProvider;
  codec: CommandCodec;
  ledger: CommandLedger;
  /** Topics to read; defaults to both command topics. Empty string = do not read it. */
  shadowTopic?: string;
  failoverTopic?: string;
  resultsTopic?: string;
  /** Defaults to `foreshadow-actuator-<provider>`. */
  groupId?: string;
  retry?: RetryPolicyInput;
  /** Partitions handled in parallel, so one slow launch does not hold up other resources. */
  concurrency?: number;
  /** Read from the start when the group has no offsets (tests, first deployment). */
  fromBeginning?: boolean;
  logger?: Logger;
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

function describeCause(err: unknown): string {
  const base = err instanceof RetriesExhausted ? err.last : err;
  return describeError(base);
}

export class ActuatorConsumer {
  private readonly provider: ActuatorProvider;
  private readonly resultsTopic: string;
  private readonly topics: Array<{ topic: string; source: 'shadow' | 'failover' }>;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private readonly retry: RetryPolicy;
  /** The pending or finished ledger catch-up that records wait for. */
  private ledgerCaughtUp: Promise<void> | undefined;

  constructor(private readonly options: ActuatorConsumerOptions) {
    this.provider = options.provider;
    this.resultsTopic = options.resultsTopic ?? ACTUATION_RESULTS_TOPIC;
    const shadow = options.shadowTopic ?? SHADOW_COMMANDS_TOPIC;
    const failover = options.failoverTopic ?? FAILOVER_COMMANDS_TOPIC;
    this.topics = [
      ...(shadow ? [{ topic: shadow, source: 'shadow' as const }] : []),
      ...(failover ? [{ topic: failover, source: 'failover' as const }] : []),
    ];
    this.log = options.logger ?? actuatorLogger(this.provider.name);
    this.retry = retryPolicySchema.parse(options.retry ?? {});
  }

  async start(): Promise<void> {
    const { kafka } = this.options;
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    this.consumer = kafka.consumer({
      groupId: this.options.groupId ?? `foreshadow-actuator-${this.provider.name}`,
      readUncommitted: false,
      // Long actions heartbeat explicitly; this only bounds a dead process.
      sessionTimeout: 30_000,
    });
    // Partitions may arrive from an instance that wrote ledger entries we have not read yet.
    // Records are held back (eachMessage awaits ledgerReady) until the catch-up is done.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      const caughtUp = this.options.ledger.catchUp();
      caughtUp.catch((err: unknown) => this.log.warn({ err: describeError(err) }, 'ledger catch-up failed'));
      this.ledgerCaughtUp = caughtUp;
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
    await this.producer?.disconnect();
    await this.provider.close?.();
    this.log.info('actuator stopped');
  }

  /**
   * Decodes one record. An undecodable record carries no command id to answer, so it goes to the
   * source topic's dead-letter topic with the reason instead of being lost.
   */
  private async decode(
    source: 'shadow' | 'failover',
    message: KafkaMessage,
    topic: string,
    partition: number,
  ): Promise<ActuatorCommand | undefined> {
    if (!message.value) return undefined;
    try {
      return source === 'shadow'
        ? { source, command: await this.options.codec.decodeShadow(message.value) }
        : { source, command: await this.options.codec.decodeFailover(message.value) };
    } catch (err: unknown) {
      this.log.error(
        { topic, partition, offset: message.offset, err: describeError(err) },
        'undecodable command dead-lettered',
      );
      await this.deadLetter(message, topic, partition, err);
      return undefined;
    }
  }

  private async deadLetter(message: KafkaMessage, topic: string, partition: number, err: unknown): Promise<void> {
    if (!this.producer) throw new ForeshadowError('NOT_CONNECTED', 'actuator producer not started');
    await this.producer.send({
      topic: deadLetterTopic(topic),
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            [DLQ_HEADERS.sourceTopic]: topic,
            [DLQ_HEADERS.sourcePartition]: String(partition),
            [DLQ_HEADERS.sourceOffset]: message.offset,
            [DLQ_HEADERS.processor]: `actuator:${this.provider.name}`,
            [DLQ_HEADERS.error]: describeError(err),
            [DLQ_HEADERS.reason]: 'undecodable command',
          },
        },
      ],
    });
  }

  /** Handles one record; exported behaviour is entirely in the results it produces. */
  async handle(source: 'shadow' | 'failover', message: KafkaMessage, topic: string, partition: number): Promise<void> {
    const c = await this.decode(source, message, topic, partition);
    if (!c) return;
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
      await this.emit(c, {
        status: 'DUPLICATE',
        address: verdict.prior.address,
        detail: `already handled: ${verdict.prior.status}${verdict.prior.detail ? ` (${verdict.prior.detail})` : ''}`,
      });
      return;
    }
    if (verdict.kind === 'stale') {
      this.log.warn({ ...logCtx, lastEpoch: verdict.lastEpoch }, 'stale epoch refused');
      const detail = `epoch ${epoch} is older than last applied epoch ${verdict.lastEpoch}`;
      await this.remember(key, entry, c, 'REJECTED_STALE_EPOCH', '', detail);
      await this.emit(c, { status: 'REJECTED_STALE_EPOCH', detail });
      return;
    }
    const started = Date.now();
    let attempts = 1;
    try {
      const run = await withRetry(
        this.retry,
        (attempt) => {
          attempts = attempt;
          return this.invoke(c, this.context(c, attempt, started));
        },
        {
          signal: this.abort.signal,
          onRetry: (attempt, err, delayMs) =>
            this.log.warn({ ...logCtx, attempt, delayMs, err: describeError(err) }, 'transient failure, retrying'),
        },
      );
      const outcome = run.value;
      const status = outcome.status ?? 'SUCCEEDED';
      await this.remember(key, entry, c, status, outcome.address ?? '', outcome.detail ?? '');
      await this.emit(c, { ...outcome, status, durationMs: Date.now() - started, attempt: run.attempts });
      this.log.info({ ...logCtx, status, attempts: run.attempts, durationMs: Date.now() - started }, 'command applied');
    } catch (err: unknown) {
      if (this.abort.signal.aborted) throw err; // not handled: redelivered to whoever takes over
      const last = err instanceof RetriesExhausted ? err.last : err;
      const retriable = last instanceof ForeshadowError ? last.retriable : true;
      const detail = describeCause(err);
      await this.remember(key, entry, c, 'FAILED', '', detail);
      await this.emit(c, { status: 'FAILED', retriable, detail, durationMs: Date.now() - started, attempt: attempts });
      this.log.error({ ...logCtx, attempts, retriable, err: detail }, 'command failed');
    }
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

  private context(c: ActuatorCommand, attempt: number, started: number): ActuationContext {
    return {
      attempt,
      signal: this.abort.signal,
      progress: (outcome) =>
        this.emit(c, { ...outcome, status: 'IN_PROGRESS', durationMs: Date.now() - started, attempt }),
    };
  }

  private async remember(
    key: string,
    entry: LedgerEntry | undefined,
    c: ActuatorCommand,
    status: ActuationResult['status'],
    address: string,
    detail: string,
  ): Promise<void> {
    const next = record(entry, {
      id: c.command.commandId,
      epoch: c.command.epoch,
      status,
      address,
      detail,
      at: Date.now(),
    });
    await this.options.ledger.put(key, next);
  }

  private async emit(c: ActuatorCommand, r: Partial<ActuationResult> & Pick<ActuationResult, 'status'>): Promise<void> {
    if (!this.producer) throw new ForeshadowError('NOT_CONNECTED', 'actuator producer not started');
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
    await this.producer.send({
      topic: this.resultsTopic,
      acks: -1,
      messages: [
        { key: result.subject, value: await this.options.codec.encodeResult(this.resultsTopic, result), headers },
      ],
    });
  }
}
