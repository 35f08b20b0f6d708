/**
 * Runs the SimulatedProvider against the real broker for integration scenarios: consumes the
 * command topics (JSON values) and writes actuation results after a configurable delay.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import type { FailoverCommand } from '../../../schemas/records/failover-command.js';
import type { ShadowCommand } from '../../../schemas/records/shadow-command.js';
import { testKafka } from '../../support/kafka.js';
import type { SimulatedProvider } from './fixtures.js';

export interface ProviderRunnerOptions {
  commandTopics: string[];
  resultsTopic: string;
  /** Delay before answering, per command (simulates provisioning time). */
  delayMs?: (cmd: ShadowCommand | FailoverCommand) => number;
}

export class ProviderRunner {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  readonly seen: (ShadowCommand | FailoverCommand)[] = [];
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly provider: SimulatedProvider,
    private readonly options: ProviderRunnerOptions,
  ) {}

  async start(): Promise<void> {
    const kafka = testKafka('foreshadow-sim-provider');
    this.producer = kafka.producer();
    await this.producer.connect();
    this.consumer = kafka.consumer({ groupId: `sim-provider-${randomUUID()}`, readUncommitted: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.commandTopics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        const cmd = JSON.parse(message.value.toString()) as ShadowCommand | FailoverCommand;
        this.seen.push(cmd);
        if (cmd.type === 'ABORT') return;
        const delay = this.options.delayMs?.(cmd) ?? 0;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          const result = this.provider.handle(cmd, Date.now(), delay);
          void this.producer?.send({
            topic: this.options.resultsTopic,
            messages: [{ key: result.subject, value: JSON.stringify(result), timestamp: String(result.timestamp) }],
          });
        }, delay);
        this.timers.add(timer);
      },
    });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}
