/**
 * A throwaway Kafka broker of our own (stack/stack.sh with FORESHADOW_INSTANCE_DIR): fault tests
 * stop and restart it without touching the shared stack other engineers' tests use. It reuses the
 * shared jar cache; data, logs and pid files live in a temporary folder removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ITopicConfig, Kafka, type KafkaMessage, logLevel, Partitioners } from 'kafkajs';
import { createTopicsAndWait } from '../../../streams/runtime/topic-admin.js';

export class OwnBroker {
  readonly dir = mkdtempSync(join(tmpdir(), 'foreshadow-own-stack-'));
  readonly address: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly port: number,
    components = 'kafka',
    extra: Record<string, string> = {},
  ) {
    this.address = `127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FORESHADOW_INSTANCE_DIR: this.dir,
      FORESHADOW_KAFKA_PORT: String(port),
      FORESHADOW_CONTROLLER_PORT: String(port + 1),
      FORESHADOW_STACK_COMPONENTS: components,
      FORESHADOW_KAFKA_HEAP: '512m',
      // A second JVM on a busy two-core machine can take well over the default 90 s to start.
      FORESHADOW_KAFKA_READY_TIMEOUT: '300',
      ...extra,
    };
    // stack.sh would otherwise point at the shared cluster instead of starting ours.
    delete env.KAFKA_BROKERS;
    this.env = env;
  }

  /**
   * The shared broker behind the same interface (address only; up/down/freeze refused), for runs
   * where a second JVM cannot start in time on a loaded machine.
   */
  static shared(address: string): OwnBroker {
    const b = new OwnBroker(Number(address.split(':')[1]));
    b.isShared = true;
    return b;
  }

  isShared = false;

  up(): void {
    if (this.isShared) return;
    execFileSync('bash', ['stack/stack.sh', 'up'], { env: this.env, stdio: ['ignore', 'ignore', 'inherit'] });
  }

  down(): void {
    if (this.isShared) return;
    execFileSync('bash', ['stack/stack.sh', 'down'], { env: this.env, stdio: ['ignore', 'ignore', 'inherit'] });
  }

  /** SIGKILL the broker: no controlled shutdown, like a machine losing power. */
  crash(): void {
    execFileSync('bash', ['-c', `kill -9 "$(cat '${this.dir}/run/kafka.pid')"; rm -f '${this.dir}/run/kafka.pid'`]);
  }

  /** SIGSTOP the broker for `ms`: reachable by TCP but silent, like a network partition. */
  freeze(ms: number): void {
    if (this.isShared) throw new Error('never freeze the shared broker');
    execFileSync('bash', [
      '-c',
      `p="$(cat '${this.dir}/run/kafka.pid')"; kill -STOP "$p"; sleep ${ms / 1000}; kill -CONT "$p"`,
    ]);
  }

  destroy(): void {
    try {
      this.down();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  kafka(clientId = 'own-stack'): Kafka {
    return new Kafka({ clientId, brokers: [this.address], logLevel: logLevel.NOTHING });
  }

  async createTopics(topics: ITopicConfig[]): Promise<void> {
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      await createTopicsAndWait(admin, topics);
    } finally {
      await admin.disconnect();
    }
  }

  async produce(topic: string, messages: { key: string; value: string; partition: number }[]): Promise<void> {
    const p = this.kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await p.connect();
    try {
      for (let i = 0; i < messages.length; i += 5_000)
        await p.send({ topic, acks: -1, messages: messages.slice(i, i + 5_000) });
    } finally {
      await p.disconnect();
    }
  }

  /**
   * Everything on `topic` (read_committed) once `until` holds or the timeout passes, each record
   * once: a reader whose group rebalances is handed records again from its last committed offset,
   * and counting those twice once looked exactly like a double promotion.
   */
  async consumeUntil(
    topic: string,
    until: (n: number) => boolean,
    timeoutMs: number,
  ): Promise<(KafkaMessage & { partition: number })[]> {
    const c = this.kafka('own-stack-reader').consumer({ groupId: `r-${randomUUID()}`, readUncommitted: false });
    const all: (KafkaMessage & { partition: number })[] = [];
    const seen = new Set<string>();
    await c.connect();
    try {
      await c.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, timeoutMs);
        c.run({
          eachMessage: async ({ partition, message }) => {
            const id = `${partition}:${message.offset}`;
            if (seen.has(id)) return;
            seen.add(id);
            all.push({ ...message, partition });
            if (until(all.length)) {
              clearTimeout(timer);
              resolve();
            }
          },
        }).catch(reject);
      });
    } finally {
      await c.disconnect();
    }
    return all;
  }
}
