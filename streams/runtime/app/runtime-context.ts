/**
 * What the parts of a running StreamsApp share: its topology and settings, the Kafka clients (each
 * used through an accessor that names the client when it is not connected), the group heartbeat,
 * the partition counts of its topics, its logger and metrics.
 */
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { NotConnectedError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StreamsMetrics } from '../metrics.js';
import type { Topology } from '../topology.js';
import type { PartitionCounts } from './internal-topics.js';
import type { RuntimeSettings } from './streams-app-options.js';

export interface RuntimeContext {
  readonly topology: Topology;
  readonly settings: RuntimeSettings;
  readonly kafka: Kafka;
  readonly clients: RuntimeClients;
  readonly heartbeat: GroupHeartbeat;
  readonly partitions: PartitionCounts;
  readonly logger: Logger;
  readonly metrics: StreamsMetrics;
}

/** The app's long-lived clients, set by `start()`; the per-task producers live with their tasks. */
export class RuntimeClients {
  adminClient: Admin | undefined;
  consumerClient: Consumer | undefined;
  /** At-least-once only: one idempotent producer for every task. */
  sharedProducerClient: Producer | undefined;

  constructor(private readonly applicationId: string) {}

  admin(): Admin {
    return this.adminClient ?? this.notConnected('admin client');
  }

  consumer(): Consumer {
    return this.consumerClient ?? this.notConnected('consumer');
  }

  sharedProducer(): Producer {
    return this.sharedProducerClient ?? this.notConnected('shared producer');
  }

  private notConnected(client: string): never {
    throw new NotConnectedError(client, { applicationId: this.applicationId });
  }
}

/**
 * kafkajs only heartbeats between batches; long batches, commits and restores call the last
 * batch's heartbeat so the group does not evict this member while it works.
 */
export class GroupHeartbeat {
  private fn: (() => Promise<void>) | undefined;

  use(fn: () => Promise<void>): void {
    this.fn = fn;
  }

  async beat(): Promise<void> {
    try {
      await this.fn?.();
    } catch {
      // A rebalance error surfaces again at the next batch, where kafkajs handles it.
    }
  }
}
