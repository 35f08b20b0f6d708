/**
 * Follows what the pipeline decides, for the terminal: risk levels crossing WARNING/CRITICAL,
 * shadow lifecycle changes and failover events, read from the output topics (from the end: a run
 * reports what happens during it). Also keeps the latest shadow state per resource for the summary.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { FailoverEvent } from '../schemas/records/failover-event.js';
import type { HostRisk } from '../schemas/records/host-risk.js';
import type { ShadowState } from '../schemas/records/shadow-state.js';
import { FAILOVER_EVENTS_TOPIC, RISK_TOPIC, SHADOW_STATE_TOPIC } from '../streams/catalogue.js';
import type { KafkaConnection } from '../streams/runtime/config.js';
import { createKafka } from '../streams/runtime/kafka-client.js';
import { avroSerde } from '../streams/runtime/serdes.js';

export interface TailHandlers {
  risk?: (r: HostRisk, previousLevel: string | undefined) => void;
  shadow?: (s: ShadowState, previous: ShadowState | undefined) => void;
  event?: (e: FailoverEvent) => void;
}

export class EventTail {
  readonly shadows = new Map<string, ShadowState>();
  /** Resources whose shadow the manager forgot (tombstoned) during the run. */
  readonly forgotten = new Set<string>();
  /** Every state each resource went through, in order. */
  readonly shadowHistory = new Map<string, string[]>();
  readonly events: FailoverEvent[] = [];
  private readonly levels = new Map<string, string>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly conn: KafkaConnection,
    private readonly handlers: TailHandlers,
  ) {}

  async start(): Promise<void> {
    const serde = avroSerde<unknown>();
    this.consumer = createKafka(this.conn, 'foreshadow-demo-tail').consumer({
      groupId: `foreshadow-demo-tail-${randomUUID()}`,
      readUncommitted: false,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [RISK_TOPIC, SHADOW_STATE_TOPIC, FAILOVER_EVENTS_TOPIC],
      fromBeginning: false,
    });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (message.value === null) {
          // A shadow.state tombstone: the shadow manager forgot a removed resource's shadow.
          const key = message.key?.toString();
          if (topic === SHADOW_STATE_TOPIC && key) {
            this.shadows.delete(key);
            this.forgotten.add(key);
          }
          return;
        }
        let v: unknown;
        try {
          v = await serde.deserialize(topic, message.value);
        } catch {
          return;
        }
        if (topic === RISK_TOPIC) {
          const r = v as HostRisk;
          const before = this.levels.get(r.host);
          this.levels.set(r.host, r.level);
          if (before !== r.level) this.handlers.risk?.(r, before);
        } else if (topic === SHADOW_STATE_TOPIC) {
          const s = v as ShadowState;
          const before = this.shadows.get(s.resourceId);
          this.shadows.set(s.resourceId, s);
          const hist = this.shadowHistory.get(s.resourceId) ?? [];
          if (hist[hist.length - 1] !== s.state) hist.push(s.state);
          this.shadowHistory.set(s.resourceId, hist);
          if (!before || before.state !== s.state) this.handlers.shadow?.(s, before);
        } else {
          const e = v as FailoverEvent;
          this.events.push(e);
          this.handlers.event?.(e);
        }
      },
    });
  }

  /** Resolves true once every one of `ids` was forgotten, false after `timeoutMs`. */
  async waitForgotten(ids: readonly string[], timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (ids.every((id) => this.forgotten.has(id))) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
