/**
 * The demo's fleet: the failure-risk engineers' seeded FleetSimulator (diurnal load, noise, benign
 * bursts, random faults) mapped onto the demo world's hosts, plus scripted incidents that make the
 * story happen within minutes — a memory leak on the host of a real Redis primary, an error-rate
 * ramp, a filling disk, a latency creep and a false alarm. It publishes what a real estate would:
 * samples on metrics.raw (Foreshadow JSON from some agents, Telegraf line protocol + app JSON from
 * others), the hosts and deployments tables, topology evidence, and host.failures records.
 *
 * Time: a history is published at once (baselines need it), then the simulation runs `acceleration`
 * times faster than the wall clock, starting far enough in the past that sample times never run
 * ahead of the wall clock (brokers refuse records from the future); once caught up it runs at ×1.
 */
import type { Producer } from 'kafkajs';
import { FleetSimulator, type SimHost } from '../streams/processors/failure-risk/fleet-sim.js';
import type { HostSample } from '../streams/processors/metric-ingest/types.js';
import { avroValueSerdes } from '../streams/processors/shadow-manager/topology.js';
import type { Deployment, FailureKind, Host, HostFailure } from '../streams/processors/shadow-manager/types.js';
import type { Serde } from '../streams/runtime/serdes.js';
import { generateEvidence } from '../test/fixtures/regions/synthetic-region.js';
import { appJsonRecord, influxRecord, jsonRecord } from './formats.js';
import type { DemoWorld } from './world.js';

const HOUR = 3_600_000;

export type IncidentKind = 'memory-leak' | 'error-ramp' | 'disk-fill' | 'latency-creep' | 'false-alarm';

export interface Incident {
  kind: IncidentKind;
  host: string;
  /** Sim hours after the live phase starts. */
  onsetH: number;
  /** Per sim hour: fill fraction (leak, disk), e-folds (errors), relative latency (creep). */
  rate: number;
  /** false-alarm: how long the spike lasts (sim hours). */
  lastsH?: number;
  /** error-ramp: the error rate levels off here (a struggling host, not yet a dead one)… */
  capErrorRate?: number;
  /** …and the host dies this long after onset (sim hours) instead of at an error-rate threshold. */
  breaksAfterH?: number;
}

export interface FleetDriverOptions {
  world: DemoWorld;
  producer: Producer;
  /** Sim time per wall time. */
  acceleration: number;
  stepMs: number;
  historyMs: number;
  /** Wall time the accelerated phase may last before it catches up with the clock. */
  acceleratedWallMs: number;
  seed: number;
  /** Share of the other hosts that develop a random fault (FleetSimulator). */
  faultyShare: number;
  incidents: Incident[];
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
  raw: 'metrics.raw',
  hosts: 'hosts',
  deployments: 'deployments',
  failures: 'host.failures',
  configs: 'topology.configs',
  discovery: 'topology.discovery',
  flows: 'topology.flows',
  spans: 'topology.spans',
};

/** Incidents for the world: the first Redis host leaks memory; one host per other kind elsewhere. */
export function defaultIncidents(world: DemoWorld): Incident[] {
  const regionHosts = (r: number) =>
    world.hosts.filter((h) => h.region === world.options.regions[r]).map((h) => h.host);
  const used = new Set(world.redis.map((x) => x.host));
  const pick = (r: number, k: number): string =>
    regionHosts(r % world.options.regions.length).filter((h) => !used.has(h))[k]!;
  return [
    // The Redis host's fault is an error-rate ramp: the kind the failure-risk model scores highest
    // today (a fast memory leak reaches CRITICAL through its exhaustion projection, but with a pFail
    // below the shadow manager's 0.6 threshold).
    // It levels off at 25% errors and dies ~50 simulated minutes later: the risk model needs a
    // sustained deviation to score it, which is also what real degradations look like.
    {
      kind: 'error-ramp',
      host: world.redis[0]?.host ?? pick(0, 0),
      onsetH: 0.1,
      rate: 3.5,
      capErrorRate: 0.25,
      breaksAfterH: 2.1,
    },
    { kind: 'memory-leak', host: pick(0, 1), onsetH: 0.25, rate: 0.45 },
    { kind: 'latency-creep', host: pick(0, 4), onsetH: 0.3, rate: 1.2 },
    { kind: 'false-alarm', host: pick(1, 2), onsetH: 0.6, rate: 0.22, lastsH: 0.5 },
    { kind: 'error-ramp', host: pick(1, 5), onsetH: 0.5, rate: 2 },
    { kind: 'disk-fill', host: pick(2, 3), onsetH: 1, rate: 0.22 },
  ];
}

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
  private readonly sim: FleetSimulator;
  /** Simulator host id → demo host. */
  private readonly hostOfSim = new Map<string, Host>();
  private readonly down = new Set<string>();
  private readonly incidents: Incident[];
  private readonly jsonHosts = new Set<string>();
  private liveStart = 0;
  private liveSimStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private steps:
    | Generator<{
        t: number;
        samples: HostSample[];
        failures: { host: string; kind: string; detail: string; timestamp: number }[];
      }>
    | undefined;
  private readonly serdes: { hosts: Serde<Host>; deployments: Serde<Deployment>; failures: Serde<HostFailure> };
  private lastEvidenceAt = 0;

  constructor(private readonly o: FleetDriverOptions) {
    this.topics = { ...DEFAULT_TOPICS, ...o.topics };
    this.incidents = o.incidents;
    this.serdes = {
      hosts: avroValueSerdes<Host>('hosts'),
      deployments: avroValueSerdes<Deployment>('deployments'),
      failures: avroValueSerdes<HostFailure>('host.failures'),
    };
    const hosts = o.world.hosts;
    const accelSimMs = o.acceleratedWallMs * o.acceleration;
    const start = Date.now() - accelSimMs - o.historyMs;
    this.liveSimStart = start + o.historyMs;
    this.sim = new FleetSimulator({
      hosts: hosts.length,
      seed: o.seed,
      start,
      stepMs: o.stepMs,
      // Run on at ×1 for a day once caught up with the clock.
      durationMs: o.historyMs + accelSimMs + 24 * HOUR,
      faultyShare: o.faultyShare,
      quietMs: o.historyMs + 0.5 * HOUR,
      regions: o.world.options.regions,
    });
    // Faulty simulator hosts come first: give them hosts no scripted incident or Redis uses.
    const scripted = new Set([...this.incidents.map((i) => i.host), ...o.world.redis.map((r) => r.host)]);
    const ordered = [...hosts.filter((h) => !scripted.has(h.host)), ...hosts.filter((h) => scripted.has(h.host))];
    this.sim.hosts.forEach((s: SimHost, i) => {
      const h = ordered[i]!;
      this.hostOfSim.set(s.host, h);
      // One host in three reports through Telegraf; the scripted ones through JSON (all metrics in one record).
      if (i % 3 !== 0 || scripted.has(h.host)) this.jsonHosts.add(h.host);
    });
    for (const s of this.sim.hosts) {
      if (s.fault) {
        const h = this.hostOfSim.get(s.host)!;
        o.onEvent?.(
          `random fault planned: ${s.fault.kind} on ${h.host} at sim +${((s.fault.onset - this.liveSimStart) / HOUR).toFixed(1)} h`,
        );
      }
    }
  }

  get simNow(): number {
    return this.stats.simTime;
  }

  /** Wall time at which the sim reaches sim time `t`. */
  private wallFor(t: number): number {
    const accelerated = this.liveStart + (t - this.liveSimStart) / this.o.acceleration;
    // Never ahead of the clock: once the sim would pass the wall clock it runs in real time.
    return Math.max(accelerated, t);
  }

  private async send(
    topic: string,
    messages: { key: string | null; value: Buffer | string; timestamp?: string }[],
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

  /** Applies the scripted incidents to a sample; returns a failure when one reaches its breaking point. */
  private script(s: HostSample): { kind: FailureKind; detail: string } | null {
    const hLive = (s.timestamp - this.liveSimStart) / HOUR;
    const m = s.metrics;
    for (const inc of this.incidents) {
      if (inc.host !== s.host || hLive < inc.onsetH) continue;
      const h = hLive - inc.onsetH;
      switch (inc.kind) {
        case 'memory-leak':
          m['mem.utilization'] = Math.min(1, (m['mem.utilization'] ?? 0.5) + inc.rate * h);
          if (m['mem.utilization']! > 0.9)
            m['http.latency_p99_ms'] = (m['http.latency_p99_ms'] ?? 50) * (1 + 10 * (m['mem.utilization']! - 0.9));
          if (m['mem.utilization']! >= 0.98) return { kind: 'MEMORY', detail: 'out of memory (scripted leak)' };
          break;
        case 'disk-fill':
          m['disk.utilization'] = Math.min(1, (m['disk.utilization'] ?? 0.5) + inc.rate * h);
          if (m['disk.utilization']! >= 0.99) return { kind: 'DISK', detail: 'disk full (scripted)' };
          break;
        case 'error-ramp':
          m['http.error_rate'] = Math.min(
            inc.capErrorRate ?? 1,
            (m['http.error_rate'] ?? 0) + 0.003 * Math.exp(inc.rate * h),
          );
          m['http.latency_p99_ms'] = (m['http.latency_p99_ms'] ?? 50) * (1 + 3 * m['http.error_rate']!);
          if (inc.breaksAfterH !== undefined ? h >= inc.breaksAfterH : m['http.error_rate']! >= 0.3)
            return { kind: 'CRASH', detail: 'crashed after an error-rate ramp (scripted)' };
          break;
        case 'latency-creep':
          m['http.latency_p99_ms'] = (m['http.latency_p99_ms'] ?? 50) * (1 + inc.rate * h);
          break;
        case 'false-alarm':
          if (h < (inc.lastsH ?? 0.5)) m['mem.utilization'] = Math.min(0.97, (m['mem.utilization'] ?? 0.5) + inc.rate);
          break;
      }
    }
    return null;
  }

  private announced = new Set<string>();

  private async publishStep(step: {
    t: number;
    samples: HostSample[];
    failures: { host: string; kind: string; detail: string; timestamp: number }[];
  }): Promise<void> {
    this.stats.simTime = step.t;
    const raw: { key: string; value: string }[] = [];
    const failures: HostFailure[] = [];
    const hLive = (step.t - this.liveSimStart) / HOUR;
    for (const inc of this.incidents) {
      const id = `${inc.kind}@${inc.host}`;
      if (hLive >= inc.onsetH && !this.announced.has(id) && !this.down.has(inc.host)) {
        this.announced.add(id);
        this.o.onEvent?.(`incident begins: ${inc.kind} on ${inc.host}`);
      }
    }
    for (const sample of step.samples) {
      const h = this.hostOfSim.get(sample.host);
      if (!h || this.down.has(h.host)) continue;
      const tags = {
        ...(this.o.world.serviceOf.get(h.host) ?? {}),
        agent: this.jsonHosts.has(h.host) ? 'foreshadow-json' : 'telegraf',
      };
      const s: HostSample = {
        ...sample,
        host: h.host,
        region: h.region,
        zone: h.zone,
        tags,
        metrics: { ...sample.metrics },
      };
      s.metrics['net.connections'] = Math.round((s.metrics['http.requests_per_sec'] ?? 100) * 0.4);
      s.metrics['cpu.load1'] = (s.metrics['cpu.utilization'] ?? 0.2) * 32;
      const broke = this.script(s);
      if (broke) {
        this.down.add(h.host);
        failures.push({
          host: h.host,
          region: h.region,
          timestamp: s.timestamp,
          kind: broke.kind,
          source: 'demo-fleet',
          detail: broke.detail,
        });
        continue;
      }
      if (this.jsonHosts.has(h.host)) raw.push({ key: h.host, value: jsonRecord(s) });
      else {
        raw.push({ key: h.host, value: influxRecord(s) });
        raw.push({ key: h.host, value: appJsonRecord(s) });
      }
      this.stats.samples++;
    }
    for (const f of step.failures) {
      const h = this.hostOfSim.get(f.host);
      if (!h || this.down.has(h.host)) continue;
      this.down.add(h.host);
      failures.push({
        host: h.host,
        region: h.region,
        timestamp: f.timestamp,
        kind: f.kind as FailureKind,
        source: 'demo-fleet',
        detail: f.detail,
      });
    }
    await this.send(this.topics.raw, raw);
    for (const f of failures) await this.fail(f);
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
    this.steps = this.sim.run();
    const total = Math.round(this.o.historyMs / this.o.stepMs);
    let done = 0;
    for (;;) {
      const next = this.steps.next();
      if (next.done) return;
      await this.publishStep(next.value);
      done++;
      if (done % 60 === 0) onProgress?.(done, total);
      if (next.value.t + this.o.stepMs >= this.liveSimStart) return;
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
