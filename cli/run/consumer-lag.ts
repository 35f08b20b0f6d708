/**
 * Consumer-group lag as the cluster sees it: for every group this process's apps belong to, the
 * partition end offset minus the group's committed offset, read with the admin client every
 * `intervalMs` and served as `foreshadow_consumer_group_lag{group,topic,partition}`. Unlike the
 * runtime's per-batch gauge this also covers a group that stopped fetching (a stuck or dead
 * consumer) and partitions no instance owns, which is what a lag alert is for. Every instance of a
 * group reports the whole group, so rules aggregate with `max by (group, topic, partition)`.
 */
import type { Admin } from 'kafkajs';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../streams/runtime/logger.js';

export interface ConsumerGroupRef {
  groupId: string;
  topics: readonly string[];
}

export class ConsumerLagPoller {
  private readonly lag: Gauge<'group' | 'topic' | 'partition'>;
  private readonly errors: Counter<'group'>;
  private readonly groups = new Map<string, ConsumerGroupRef>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly admin: Admin,
    registry: Registry,
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
  ) {
    const registers = [registry];
    this.lag = new Gauge({
      name: 'foreshadow_consumer_group_lag',
      help: 'Records between a consumer group committed offset and the partition end (read from the cluster)',
      labelNames: ['group', 'topic', 'partition'],
      registers,
    });
    this.errors = new Counter({
      name: 'foreshadow_consumer_group_lag_errors_total',
      help: 'Lag reads that failed (the gauge keeps its last values)',
      labelNames: ['group'],
      registers,
    });
  }

  watch(refs: readonly ConsumerGroupRef[]): void {
    for (const r of refs) this.groups.set(r.groupId, r);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => {
        this.polling = undefined;
      });
    }, this.intervalMs);
    this.timer.unref();
    this.polling = this.poll().finally(() => {
      this.polling = undefined;
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
  }

  /** One read of every watched group (end offsets fetched once per topic). */
  async poll(): Promise<void> {
    const ends = new Map<string, Map<number, bigint>>();
    const endsOf = async (topic: string): Promise<Map<number, bigint>> => {
      let m = ends.get(topic);
      if (!m) {
        const offsets = await this.admin.fetchTopicOffsets(topic);
        m = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
        ends.set(topic, m);
      }
      return m;
    };
    for (const g of this.groups.values()) {
      try {
        const committed = await this.admin.fetchOffsets({ groupId: g.groupId, topics: [...g.topics] });
        for (const t of committed) {
          const end = await endsOf(t.topic);
          for (const p of t.partitions) {
            const high = end.get(p.partition);
            // No committed offset yet: nothing to measure against (the group has not started there).
            if (high === undefined || Number(p.offset) < 0) continue;
            const lag = high - BigInt(p.offset);
            this.lag.set(
              { group: g.groupId, topic: t.topic, partition: String(p.partition) },
              Number(lag > 0n ? lag : 0n),
            );
          }
        }
      } catch (err: unknown) {
        this.errors.inc({ group: g.groupId });
        this.log.warn({ group: g.groupId, err: String(err) }, 'consumer lag read failed');
      }
    }
  }
}
