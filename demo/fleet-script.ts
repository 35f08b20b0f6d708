/**
 * The demo's fleet without Kafka: the failure-risk engineers' seeded FleetSimulator mapped onto the
 * demo world's hosts, plus the scripted incidents that make the story happen within minutes. Pure
 * and deterministic for a given start time, so the driver (fleet-driver.ts) publishes exactly what
 * test/demo/story.test.ts replays in process through the risk engine and the shadow trigger.
 *
 * Time: `historyMs` of samples end where the live phase starts (`liveSimStart`); the live phase is
 * meant to run `acceleration` times faster than the wall clock for `acceleratedWallMs`, so it starts
 * that much sim time before `now` and sample times never run ahead of the wall clock.
 */
import { FleetSimulator, type SimHost } from '../bench/fleet/fleet-sim.js';
import type { Host } from '../schemas/records/host.js';
import type { FailureKind, HostFailure } from '../schemas/records/host-failure.js';
import type { HostSample } from '../schemas/records/host-sample.js';
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

/** How the demo runs its fleet (demo.ts); the story test replays the same. */
export const DEMO_FLEET = {
  /** One sample per host per sim minute. */
  stepMs: 60_000,
  /** Wall time the accelerated phase may last before it catches up with the clock. */
  acceleratedWallMs: 40 * 60_000,
  /** Share of the other hosts that develop a random fault (FleetSimulator). */
  faultyShare: 0.08,
} as const;

/** Incidents for the world: the first Redis host degrades and dies; one host per other kind elsewhere. */
export function defaultIncidents(world: DemoWorld): Incident[] {
  const regionHosts = (r: number) =>
    world.hosts.filter((h) => h.region === world.options.regions[r]).map((h) => h.host);
  const used = new Set(world.redis.map((x) => x.host));
  const pick = (r: number, k: number): string =>
    regionHosts(r % world.options.regions.length).filter((h) => !used.has(h))[k]!;
  return [
    // The Redis host's fault is an error-rate ramp: the model scores a growing error rate high well
    // before the end (a memory leak only crosses the trigger through its exhaustion projection,
    // minutes before it dies). Today the risk engine sees a host deviate from its baseline mostly
    // in the first minutes of each sim hour (the baseline's hour-of-week slot learns from the
    // samples of the hour itself), so the ramp deviates strongly from ~0.5 h and dies at 2.2 h:
    // at least one hour boundary falls inside, whatever the start time, 50-100 sim minutes before
    // the death (test/demo/story.test.ts checks it).
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

/**
 * Applies the incidents to a sample (in place); returns the failure when one reaches its breaking
 * point. `hLive` is the sample's time in sim hours after the live phase started.
 */
export function applyIncidents(
  incidents: readonly Incident[],
  s: HostSample,
  hLive: number,
): { kind: FailureKind; detail: string } | null {
  const m = s.metrics;
  for (const inc of incidents) {
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

export interface DemoFleetOptions {
  world: DemoWorld;
  seed: number;
  stepMs: number;
  historyMs: number;
  /** Sim time per wall time in the live phase. */
  acceleration: number;
  acceleratedWallMs: number;
  faultyShare: number;
  incidents: readonly Incident[];
  /** Wall clock at start (default Date.now()); fixes where sim time begins. */
  now?: number;
}

export interface FleetStep {
  t: number;
  /** Samples of the hosts still up, with the incidents applied. */
  samples: HostSample[];
  /** Hosts that failed at this step (scripted or random fault); they send nothing afterwards. */
  failures: HostFailure[];
  /** Incidents whose onset is this step. */
  begun: Incident[];
}

export class DemoFleet {
  readonly liveSimStart: number;
  /** Simulator host id → demo host. */
  readonly hostOfSim = new Map<string, Host>();
  /** Hosts whose agent sends Foreshadow JSON (the others: Telegraf line protocol + app JSON). */
  readonly jsonHosts = new Set<string>();
  readonly down = new Set<string>();
  private readonly sim: FleetSimulator;
  private readonly announced = new Set<Incident>();

  constructor(private readonly o: DemoFleetOptions) {
    const hosts = o.world.hosts;
    const accelSimMs = o.acceleratedWallMs * o.acceleration;
    const start = (o.now ?? Date.now()) - accelSimMs - o.historyMs;
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
    const scripted = new Set([...o.incidents.map((i) => i.host), ...o.world.redis.map((r) => r.host)]);
    const ordered = [...hosts.filter((h) => !scripted.has(h.host)), ...hosts.filter((h) => scripted.has(h.host))];
    this.sim.hosts.forEach((s: SimHost, i) => {
      const h = ordered[i]!;
      this.hostOfSim.set(s.host, h);
      // One host in three reports through Telegraf; the scripted ones through JSON (all metrics in one record).
      if (i % 3 !== 0 || scripted.has(h.host)) this.jsonHosts.add(h.host);
    });
  }

  /** Random faults the simulator will inject, by demo host. */
  plannedFaults(): { host: string; kind: string; onsetH: number }[] {
    return this.sim.hosts.flatMap((s) =>
      s.fault
        ? [
            {
              host: this.hostOfSim.get(s.host)!.host,
              kind: s.fault.kind,
              onsetH: (s.fault.onset - this.liveSimStart) / HOUR,
            },
          ]
        : [],
    );
  }

  *steps(): Generator<FleetStep> {
    for (const step of this.sim.run()) {
      const hLive = (step.t - this.liveSimStart) / HOUR;
      const begun = this.o.incidents.filter(
        (inc) => hLive >= inc.onsetH && !this.announced.has(inc) && !this.down.has(inc.host),
      );
      for (const inc of begun) this.announced.add(inc);
      const samples: HostSample[] = [];
      const failures: HostFailure[] = [];
      for (const sample of step.samples) {
        const h = this.hostOfSim.get(sample.host);
        if (!h || this.down.has(h.host)) continue;
        const s: HostSample = {
          ...sample,
          host: h.host,
          region: h.region,
          zone: h.zone,
          tags: {
            ...(this.o.world.serviceOf.get(h.host) ?? {}),
            agent: this.jsonHosts.has(h.host) ? 'foreshadow-json' : 'telegraf',
          },
          metrics: { ...sample.metrics },
        };
        s.metrics['net.connections'] = Math.round((s.metrics['http.requests_per_sec'] ?? 100) * 0.4);
        s.metrics['cpu.load1'] = (s.metrics['cpu.utilization'] ?? 0.2) * 32;
        const broke = applyIncidents(this.o.incidents, s, hLive);
        if (broke) {
          this.down.add(h.host);
          failures.push({
            host: h.host,
            region: h.region,
            timestamp: s.timestamp,
            source: 'demo-fleet',
            resourceId: '',
            ...broke,
          });
          continue;
        }
        samples.push(s);
      }
      for (const f of step.failures) {
        const h = this.hostOfSim.get(f.host);
        if (!h || this.down.has(h.host)) continue;
        this.down.add(h.host);
        failures.push({
          host: h.host,
          region: h.region,
          timestamp: f.timestamp,
          kind: f.kind,
          source: 'demo-fleet',
          detail: f.detail,
          resourceId: '',
        });
      }
      yield { t: step.t, samples, failures, begun };
    }
  }
}
