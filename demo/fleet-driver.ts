/**
 * The demo's fleet on Kafka: publishes what a real estate would for the pure fleet of
 * fleet-script.ts (the seeded FleetSimulator on the demo world's hosts plus scripted incidents — an
 * error-rate ramp on the host of a real Redis primary, a memory leak, a filling disk, a latency creep
 * and a false alarm): samples on metrics.raw (Foreshadow JSON from some agents, Telegraf line
 * protocol + app JSON from others), the hosts and deployments tables, topology evidence, and
 * host.failures records.
 *
 * Time: a history is published at once (baselines need it), then the simulation runs `acceleration`
 * times faster than the wall clock, starting far enough in the past that sample times never run
 * ahead of the wall clock (brokers refuse records from the future); once caught up it runs at ×1.
 */
import type { Producer } from 'kafkajs';
import type { Deployment } from '../schemas/records/deployment.js';
import type { Host } from '../schemas/records/host.js';
import type { FailureKind, HostFailure } from '../schemas/records/host-failure.js';
import {
  CONFIGS_TOPIC,
  DEPLOYMENTS_TOPIC,
  DISCOVERY_TOPIC,
  FAILURES_TOPIC,
  FLOWS_TOPIC,
  HOSTS_TOPIC,
  RAW_METRICS_TOPIC,
  SPANS_TOPIC,
} from '../streams/catalogue.js';
import type { Serde } from '../streams/runtime/serdes.js';
import { avroValueSerdes } from '../streams/topic-serdes.js';
import { generateEvidence } from '../test/fixtures/regions/synthetic-region.js';
import { DemoFleet, type DemoFleetOptions, type FleetStep } from './fleet-script.js';
import { appJsonRecord, influxRecord, jsonRecord } from './formats.js';

export interface FleetDriverOptions extends DemoFleetOptions {
  producer: Producer;
  topics?: Partial<DriverTopics>;
  onEvent?: (msg: string) => void;
  /** A host just failed (its failure record is published): the demo kills its real resources. */
  onFailure?: (host: string, kind: FailureKind) => void | Promise<void>;
}

export interface DriverTopics {
  raw: string;
  hosts: string;
  deployments: string;
  failures: string;
  configs: string;
  discovery: string;
  flows: string;
  spans: string;
}

const DEFAULT_TOPICS: DriverTopics = {
  raw: RAW_METRICS_TOPIC,
  hosts: HOSTS_TOPIC,
  deployments: DEPLOYMENTS_TOPIC,
  failures: FAILURES_TOPIC,
  configs: CONFIGS_TOPIC,
  discovery: DISCOVERY_TOPIC,
  flows: FLOWS_TOPIC,
  spans: SPANS_TOPIC,
};

export interface DriverStats {
  records: number;
  samples: number;
  failures: number;
  simTime: number;
  phase: 'history' | 'accelerated' | 'realtime' | 'stopped';
}

export class FleetDriver {
  readonly stats: DriverStats = { records: 0, samples: 0, failures: 0, simTime: 0, phase: 'history' };
  private readonly topics: DriverTopics;
  private readonly fleet: DemoFleet;
  private liveStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private steps: Generator<FleetStep> | undefined;
  private readonly serdes: { hosts: Serde<Host>; deployments: Serde<Deployment>; failures: Serde<HostFailure> };
  private lastEvidenceAt = 0;

  constructor(private readonly o: FleetDriverOptions) {
    this.topics = { ...DEFAULT_TOPICS, ...o.topics };
    this.serdes = {
      hosts: avroValueSerdes<Host>(HOSTS_TOPIC),
      deployments: avroValueSerdes<Deployment>(DEPLOYMENTS_TOPIC),
      failures: avroValueSerdes<HostFailure>(FAILURES_TOPIC),
    };
    this.fleet = new DemoFleet(o);
    for (const f of this.fleet.plannedFaults())
      o.onEvent?.(`random fault planned: ${f.kind} on ${f.host} at sim +${f.onsetH.toFixed(1)} h`);
  }

  get simNow(): number {
    return this.stats.simTime;
  }

  /** Wall time at which the sim reaches sim time `t`. */
  private wallFor(t: number): number {
    const accelerated = this.liveStart + (t - this.fleet.liveSimStart) / this.o.acceleration;
    // Never ahead of the clock: once the sim would pass the wall clock it runs in real time.
    return Math.max(accelerated, t);
  }

  private async send(
    topic: string,
    messages: { key: string | null; value: Buffer | string | null; timestamp?: string }[],
  ): Promise<void> {
    if (messages.length === 0) return;
    for (let i = 0; i < messages.length; i += 2_000) {
      await this.o.producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2_000) });
    }
    this.stats.records += messages.length;
  }

  /** Hosts and deployments tables, and one round of topology evidence. */
  async publishInventory(extraDeployments: Deployment[] = []): Promise<void> {
    const hosts = await Promise.all(
      this.o.world.hosts.map(async (h) => ({
        key: h.host,
        value: await this.serdes.hosts.serialize(this.topics.hosts, h),
      })),
    );
    await this.send(this.topics.hosts, hosts);
    const deps = await Promise.all(
      [...this.o.world.deployments, ...extraDeployments].map(async (d) => ({
        key: d.resourceId,
        value: await this.serdes.deployments.serialize(this.topics.deployments, d),
      })),
    );
    await this.send(this.topics.deployments, deps);
    await this.publishEvidence(Date.now());
  }

  /** Tombstones on the deployments table: the resources are gone (their shadows are retired). */
  async withdrawDeployments(resourceIds: readonly string[]): Promise<void> {
    await this.send(
      this.topics.deployments,
      resourceIds.map((key) => ({ key, value: null })),
    );
  }

  async publishDeployment(d: Deployment): Promise<void> {
    await this.send(this.topics.deployments, [
      { key: d.resourceId, value: await this.serdes.deployments.serialize(this.topics.deployments, d) },
    ]);
  }

  private async publishEvidence(at: number): Promise<void> {
    this.lastEvidenceAt = at;
    for (const [i, region] of this.o.world.regions.entries()) {
      const ev = generateEvidence(region, at, this.o.seed + i, 5);
      const enc = (m: { key: string; value: unknown }) => ({ key: m.key, value: JSON.stringify(m.value) });
      await this.send(this.topics.configs, ev.configs.map(enc));
      await this.send(this.topics.discovery, ev.discovery.map(enc));
      await this.send(this.topics.flows, ev.flows.map(enc));
      await this.send(this.topics.spans, ev.spans.map(enc));
    }
  }

  private async publishStep(step: FleetStep): Promise<void> {
    this.stats.simTime = step.t;
    for (const inc of step.begun) this.o.onEvent?.(`incident begins: ${inc.kind} on ${inc.host}`);
    const raw: { key: string; value: string }[] = [];
    for (const s of step.samples) {
      if (this.fleet.jsonHosts.has(s.host)) raw.push({ key: s.host, value: jsonRecord(s) });
      else {
        raw.push({ key: s.host, value: influxRecord(s) });
        raw.push({ key: s.host, value: appJsonRecord(s) });
      }
    }
    this.stats.samples += step.samples.length;
    await this.send(this.topics.raw, raw);
    for (const f of step.failures) await this.fail(f);
  }

  private async fail(f: HostFailure): Promise<void> {
    this.stats.failures++;
    // The failure record is the failover trigger: retried (a loaded registry can time out once).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.send(this.topics.failures, [
          { key: f.host, value: await this.serdes.failures.serialize(this.topics.failures, f) },
        ]);
        break;
      } catch (err: unknown) {
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 300 * attempt));
      }
    }
    const h = this.o.world.hosts.find((x) => x.host === f.host);
    if (h) {
      const downRow: Host = { ...h, state: 'DOWN', updatedAt: Date.now() };
      await this.send(this.topics.hosts, [
        { key: h.host, value: await this.serdes.hosts.serialize(this.topics.hosts, downRow) },
      ]);
    }
    if (this.stats.phase !== 'history') this.o.onEvent?.(`host failed: ${f.host} (${f.kind}: ${f.detail})`);
    await this.o.onFailure?.(f.host, f.kind);
  }

  /** Publishes the history at once (batched): what the baselines learn from. */
  async backfill(onProgress?: (done: number, total: number) => void): Promise<void> {
    this.steps = this.fleet.steps();
    const total = Math.round(this.o.historyMs / this.o.stepMs);
    let done = 0;
    for (;;) {
      const next = this.steps.next();
      if (next.done) return;
      await this.publishStep(next.value);
      done++;
      if (done % 60 === 0) onProgress?.(done, total);
      if (next.value.t + this.o.stepMs >= this.fleet.liveSimStart) return;
    }
  }

  /** Starts the live phase; resolves immediately (steps run on timers until stop()). */
  startLive(): void {
    this.liveStart = Date.now();
    this.stats.phase = 'accelerated';
    const loop = async (): Promise<void> => {
      if (this.stopped || !this.steps) return;
      const next = this.steps.next();
      if (next.done) {
        this.stats.phase = 'stopped';
        return;
      }
      const due = this.wallFor(next.value.t);
      if (due <= next.value.t && this.stats.phase === 'accelerated') {
        this.stats.phase = 'realtime';
        this.o.onEvent?.('the simulation caught up with the clock: time now runs ×1');
      }
      const wait = due - Date.now();
      if (wait > 0)
        await new Promise<void>((r) => {
          this.timer = setTimeout(r, wait);
        });
      if (this.stopped) return;
      try {
        await this.publishStep(next.value);
        if (Date.now() - this.lastEvidenceAt > 30_000) await this.publishEvidence(Date.now());
      } catch (err: unknown) {
        this.o.onEvent?.(`publish failed (retrying next step): ${err instanceof Error ? err.message : String(err)}`);
      }
      void loop();
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    this.stats.phase = 'stopped';
    if (this.timer) clearTimeout(this.timer);
  }
}
