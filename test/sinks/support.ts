/**
 * Helpers for the actuator integration tests: free loopback ports, temp dirs, real child
 * processes stopped after the test, and a harness that runs one provider's ActuatorConsumer on
 * uniquely named command/result/ledger topics and collects the results it produces.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Consumer, Producer } from 'kafkajs';
import { type CommandCodec, jsonCodec } from '../../sinks/framework/codec.js';
import { ActuatorConsumer } from '../../sinks/framework/consumer.js';
import { KafkaLedger } from '../../sinks/framework/ledger.js';
import type {
  ActuationContext,
  ActuationResult,
  ActuatorProvider,
  FailoverCommand,
  ShadowCommand,
} from '../../sinks/framework/types.js';
import { createTopics, deleteTopics, testKafka, uniqueName } from '../support/kafka.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `foreshadow-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A real program run for the duration of a test; output kept for failure messages. */
export class Program {
  readonly child: ChildProcess;
  output = '';
  constructor(
    cmd: string,
    args: string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {},
  ) {
    this.child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err: unknown) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A context for calling a provider directly (e.g. `reconcile`), outside a consumer. */
export function directContext(): ActuationContext {
  return { attempt: 1, signal: new AbortController().signal, progress: async () => undefined };
}

let counter = 0;
export function shadowCommand(
  partial: Partial<ShadowCommand> & Pick<ShadowCommand, 'type' | 'resourceId'>,
): ShadowCommand {
  counter++;
  return {
    commandId: `cmd-${randomUUID()}`,
    kind: 'redis',
    epoch: 1,
    primaryHost: 'host-a',
    primaryAddress: '',
    targetHost: 'host-b',
    targetAddress: '',
    region: 'eu-1',
    zone: '',
    tier: 'HIGH',
    priority: counter,
    config: {},
    reason: 'test',
    issuedAt: Date.now(),
    attempt: 1,
    advisory: false,
    ...partial,
  };
}

export function failoverCommand(partial: Partial<FailoverCommand> & Pick<FailoverCommand, 'type'>): FailoverCommand {
  return {
    commandId: `fo-${randomUUID()}`,
    failoverId: 'fo-1',
    primaryRegion: 'eu-1',
    shadowRegion: 'eu-2',
    epoch: 1,
    blueprintVersion: 1,
    level: -1,
    services: [],
    dryRun: false,
    provisionOnly: false,
    issuedAt: Date.now(),
    advisory: false,
    ...partial,
  };
}

/** One provider's consumer on private topics, plus a reader of its results. */
export class ActuatorHarness {
  readonly shadowTopic = uniqueName('shadow-commands');
  readonly failoverTopic = uniqueName('failover-commands');
  readonly resultsTopic = uniqueName('actuation-results');
  readonly ledgerTopic = uniqueName('actuation-ledger');
  readonly results: ActuationResult[] = [];
  readonly codec: CommandCodec;
  private actuator: ActuatorConsumer | undefined;
  private ledger: KafkaLedger | undefined;
  private producer: Producer | undefined;
  private reader: Consumer | undefined;
  private readonly groupId = `test-actuator-${randomUUID()}`;

  /** JSON by default; pass `registryCodec(url)` to run on the production Avro wire format. */
  constructor(
    private readonly provider: ActuatorProvider,
    codec: CommandCodec = jsonCodec(),
  ) {
    this.codec = codec;
  }

  async start(): Promise<void> {
    const kafka = testKafka('foreshadow-test-actuator');
    await createTopics([
      { topic: this.shadowTopic, numPartitions: 3 },
      { topic: this.failoverTopic, numPartitions: 1 },
      { topic: this.resultsTopic, numPartitions: 1 },
      { topic: `${this.shadowTopic}.dlq`, numPartitions: 1 },
      { topic: `${this.failoverTopic}.dlq`, numPartitions: 1 },
    ]);
    this.producer = kafka.producer();
    await this.producer.connect();
    this.reader = kafka.consumer({ groupId: `test-results-${randomUUID()}` });
    await this.reader.connect();
    await this.reader.subscribe({ topic: this.resultsTopic, fromBeginning: true });
    await this.reader.run({
      eachMessage: async ({ message }) => {
        if (message.value) this.results.push(await this.codec.decodeResult(message.value));
      },
    });
    await this.startActuator();
  }

  /** (Re)starts the actuator, e.g. to show the ledger survives a restart. */
  async startActuator(): Promise<void> {
    const kafka = testKafka('foreshadow-test-actuator');
    this.ledger = new KafkaLedger(kafka, { topic: this.ledgerTopic, partitions: 1 });
    await this.ledger.open();
    this.actuator = new ActuatorConsumer({
      kafka,
      provider: this.provider,
      codec: this.codec,
      ledger: this.ledger,
      shadowTopic: this.shadowTopic,
      failoverTopic: this.failoverTopic,
      resultsTopic: this.resultsTopic,
      groupId: this.groupId,
      fromBeginning: true,
      retry: { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 500 },
    });
    await this.actuator.start();
  }

  async stopActuator(): Promise<void> {
    await this.actuator?.stop();
    await this.ledger?.close();
    this.actuator = undefined;
  }

  async send(cmd: ShadowCommand): Promise<void> {
    await this.producer?.send({
      topic: this.shadowTopic,
      messages: [{ key: cmd.resourceId, value: await this.codec.encodeShadow(this.shadowTopic, cmd) }],
    });
  }

  /** Sends bytes that are not a command, as a broken producer would. */
  async sendRaw(value: Buffer): Promise<void> {
    await this.producer?.send({ topic: this.shadowTopic, messages: [{ key: 'garbage', value }] });
  }

  async sendFailover(cmd: FailoverCommand): Promise<void> {
    await this.producer?.send({
      topic: this.failoverTopic,
      messages: [{ key: cmd.primaryRegion, value: await this.codec.encodeFailover(this.failoverTopic, cmd) }],
    });
  }

  /** The final (non-IN_PROGRESS unless `status` says so) result of a command. */
  result(commandId: string, status?: ActuationResult['status'], timeoutMs = 60_000): Promise<ActuationResult> {
    return waitFor(
      `result of ${commandId}${status ? ` (${status})` : ''}`,
      () =>
        this.results.find(
          (r) => r.commandId === commandId && (status ? r.status === status : r.status !== 'IN_PROGRESS'),
        ),
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await this.stopActuator();
    await this.reader?.disconnect();
    await this.producer?.disconnect();
    await deleteTopics([this.shadowTopic, this.failoverTopic, this.resultsTopic, this.ledgerTopic]);
  }
}

/** A client of a test's password-protected redis-server that fails fast instead of retrying. */
export function redisTestClient(port: number, password: string): Redis {
  const r = new Redis({
    host: '127.0.0.1',
    port,
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  return r;
}
