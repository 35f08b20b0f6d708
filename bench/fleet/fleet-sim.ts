/**
 * A deterministic fleet simulator: hosts with diurnal load emitting canonical HostSamples, some of
 * them developing a fault (memory leak, filling disk, error storm) or crashing without warning,
 * and HostFailure records when a fault reaches its breaking point. Seeded, so every run with the
 * same options yields the same fleet; the demo and the tests reuse it.
 *
 * Steady hosts are not spotless on purpose: benign error bursts, cache warm-ups (memory steps) and
 * log rotations (disk drops) are what false alarms are made of.
 */
import type { HostSample } from '../../schemas/records/host-sample.js';

export type FaultKind = 'memory-leak' | 'disk-fill' | 'error-storm' | 'sudden-crash';

/**
 * How a leak or a filling disk grows with the hours since its onset (at `rate` per hour):
 * linear; accelerating (slow at first, as fast as linear after 3 h, faster after); stepped (the
 * linear amount, in jumps every 45 minutes, as batch jobs or log bursts fill a disk).
 */
export type RampShape = 'linear' | 'accelerating' | 'stepped';

export interface FleetSimOptions {
  hosts: number;
  seed: number;
  /** Epoch ms of the first step. */
  start: number;
  stepMs: number;
  durationMs: number;
  /** Share of hosts that develop a fault. */
  faultyShare: number;
  /** The fault of the i-th faulty host is faultKinds[i mod length]: repeat a kind to weigh it. */
  faultKinds: readonly FaultKind[];
  /** Multiplies every fault's growth rate (< 1: slower ramps, > 1: faster). */
  rateScale: number;
  rampShape: RampShape;
  /** Multiplies the amplitude of every metric's noise. */
  noiseScale: number;
  /** Multiplies how often the benign events (error bursts, cache steps, log rotations) happen. */
  benignScale: number;
  /** No fault starts before this much time has passed (baselines need history). */
  quietMs: number;
  regions: readonly string[];
}

export const DEFAULT_FLEET_OPTIONS: FleetSimOptions = {
  hosts: 200,
  seed: 42,
  start: Date.UTC(2026, 0, 5),
  stepMs: 5 * 60_000,
  durationMs: 3 * 86_400_000,
  faultyShare: 0.2,
  faultKinds: ['memory-leak', 'disk-fill', 'error-storm', 'sudden-crash'],
  rateScale: 1,
  rampShape: 'linear',
  noiseScale: 1,
  benignScale: 1,
  quietMs: 36 * 3_600_000,
  regions: ['eu-west-1', 'us-east-1'],
};

export interface SimFault {
  kind: FaultKind;
  onset: number;
  /** Per-hour growth: fill fraction for leaks and disks, e-folds for error storms; crash: unused. */
  rate: number;
}

export interface SimHost {
  host: string;
  region: string;
  zone: string;
  fault: SimFault | null;
  /** Set when the host fails during the run. */
  failedAt: number | null;
}

export interface SimFailure {
  host: string;
  region: string;
  timestamp: number;
  kind: 'MEMORY' | 'DISK' | 'CRASH' | 'OTHER';
  source: string;
  detail: string;
}

export interface SimStep {
  t: number;
  samples: HostSample[];
  failures: SimFailure[];
}

/** mulberry32: small, fast, good enough for simulation noise. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface HostModel {
  spec: SimHost;
  phase: number;
  cpuBase: number;
  memBase: number;
  diskBase: number;
  rpsBase: number;
  latBase: number;
  memOffset: number;
  diskOffset: number;
  burstLeft: number;
  burstLevel: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export class FleetSimulator {
  readonly hosts: SimHost[];
  private readonly models: HostModel[];
  private readonly random: () => number;
  readonly opts: FleetSimOptions;

  constructor(options: Partial<FleetSimOptions> = {}) {
    this.opts = { ...DEFAULT_FLEET_OPTIONS, ...options };
    const o = this.opts;
    this.random = rng(o.seed);
    const r = this.random;
    const faulty = Math.round(o.hosts * o.faultyShare);
    this.models = [];
    for (let i = 0; i < o.hosts; i++) {
      const region = o.regions[i % o.regions.length]!;
      const zone = `${region}${'abc'[i % 3]}`;
      let fault: SimFault | null = null;
      if (i < faulty) {
        const kind = o.faultKinds[i % o.faultKinds.length]!;
        const onset = o.start + o.quietMs + r() * (o.durationMs - o.quietMs - 10 * HOUR);
        const rate =
          kind === 'memory-leak'
            ? 0.05 + r() * 0.1
            : kind === 'disk-fill'
              ? 0.06 + r() * 0.14
              : kind === 'error-storm'
                ? 2 + r() * 3
                : 0;
        fault = { kind, onset, rate: rate * o.rateScale };
      }
      const spec: SimHost = { host: `sim-${String(i).padStart(4, '0')}`, region, zone, fault, failedAt: null };
      this.models.push({
        spec,
        phase: r() * 2 * Math.PI * 0.15,
        cpuBase: 0.1 + r() * 0.2,
        memBase: 0.35 + r() * 0.3,
        diskBase: 0.3 + r() * 0.4,
        rpsBase: 50 + r() * 400,
        latBase: 40 + r() * 80,
        memOffset: 0,
        diskOffset: 0,
        burstLeft: 0,
        burstLevel: 0,
      });
    }
    this.hosts = this.models.map((m) => m.spec);
  }

  private gauss(): number {
    const u = Math.max(this.random(), 1e-12);
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Metric noise: a standard normal draw scaled by the fleet's noise level. */
  private noise(): number {
    return this.opts.noiseScale * this.gauss();
  }

  /** How far a leak or fill has grown `hours` after its onset (see RampShape). */
  private ramp(rate: number, hours: number): number {
    switch (this.opts.rampShape) {
      case 'accelerating':
        return (rate * hours * hours) / 3;
      case 'stepped':
        return rate * Math.floor(hours / 0.75) * 0.75;
      default:
        return rate * hours;
    }
  }

  *run(): Generator<SimStep> {
    const o = this.opts;
    for (let t = o.start; t < o.start + o.durationMs; t += o.stepMs) {
      const samples: HostSample[] = [];
      const failures: SimFailure[] = [];
      for (const m of this.models) {
        if (m.spec.failedAt !== null) continue;
        const s = this.sample(m, t);
        const failure = this.breakingPoint(m, s, t);
        if (failure) {
          m.spec.failedAt = t;
          failures.push(failure);
          continue;
        }
        samples.push(s);
      }
      yield { t, samples, failures };
    }
  }

  private sample(m: HostModel, t: number): HostSample {
    const r = this.random;
    const day = ((t % DAY) / DAY) * 2 * Math.PI;
    const weekday = new Date(t).getUTCDay();
    const weekend = weekday === 0 || weekday === 6 ? 0.6 : 1;
    // Diurnal load in [0, 1]: busy in the (UTC) afternoon, quieter at weekends.
    const load = clip(weekend * (0.5 - 0.45 * Math.cos(day - 0.6 + m.phase)) + 0.03 * this.noise(), 0, 1);
    const f = m.spec.fault;
    const since = f && t >= f.onset ? (t - f.onset) / HOUR : -1;

    // Benign events on every host: cache warm-ups, log rotation, short error bursts.
    const benign = this.opts.benignScale;
    if (r() < 0.0015 * benign) m.memOffset = clip(m.memOffset + (r() < 0.5 ? 0.04 : -0.04), -0.08, 0.08);
    if (r() < 0.001 * benign) m.diskOffset = -0.02 - r() * 0.03;
    m.diskOffset *= 0.999;
    if (m.burstLeft === 0 && r() < 0.003 * benign) {
      m.burstLeft = 1 + Math.floor(r() * 3);
      m.burstLevel = 0.01 + r() * 0.03;
    }
    let errorRate = clip(0.001 + 0.0004 * this.noise(), 0, 1);
    if (m.burstLeft > 0) {
      errorRate += m.burstLevel;
      m.burstLeft--;
    }

    let mem = m.memBase + m.memOffset + 0.06 * load + 0.006 * this.noise();
    let disk = m.diskBase + m.diskOffset + (0.003 * (t - this.opts.start)) / DAY + 0.0008 * this.noise();
    let cpu = m.cpuBase + 0.5 * load + 0.03 * this.noise();
    let latency = m.latBase * (1 + 1.5 * cpu ** 3) * Math.exp(0.08 * this.noise());
    if (since >= 0 && f) {
      if (f.kind === 'memory-leak') {
        mem += this.ramp(f.rate, since);
        // Swapping makes a leaking host slow before it dies.
        if (mem > 0.9) latency *= 1 + 10 * (mem - 0.9);
      } else if (f.kind === 'disk-fill') disk += this.ramp(f.rate, since);
      else if (f.kind === 'error-storm') {
        errorRate += 0.002 * Math.exp(f.rate * since);
        latency *= 1 + 5 * Math.min(errorRate, 0.5);
        cpu += 0.1 * Math.min(1, errorRate * 5);
      }
    }
    const rps = m.rpsBase * (0.2 + load) * Math.exp(0.05 * this.noise());
    return {
      host: m.spec.host,
      region: m.spec.region,
      zone: m.spec.zone,
      timestamp: t,
      metrics: {
        'cpu.utilization': clip(cpu, 0, 1),
        'mem.utilization': clip(mem, 0, 1),
        'disk.utilization': clip(disk, 0, 1),
        'diskio.utilization': clip(0.05 + 0.25 * load + 0.03 * this.noise(), 0, 1),
        'http.requests_per_sec': rps,
        'http.latency_p99_ms': latency,
        'http.error_rate': clip(errorRate, 0, 1),
      },
      tags: { sim: 'fleet' },
      source: 'json',
    };
  }

  private breakingPoint(m: HostModel, s: HostSample, t: number): SimFailure | null {
    const f = m.spec.fault;
    if (!f || t < f.onset) return null;
    const base = { host: m.spec.host, region: m.spec.region, timestamp: t, source: 'fleet-sim' };
    if (f.kind === 'memory-leak' && s.metrics['mem.utilization']! >= 0.98)
      return { ...base, kind: 'MEMORY', detail: 'out of memory' };
    if (f.kind === 'disk-fill' && s.metrics['disk.utilization']! >= 0.99)
      return { ...base, kind: 'DISK', detail: 'disk full' };
    if (f.kind === 'error-storm' && s.metrics['http.error_rate']! >= 0.3)
      return { ...base, kind: 'OTHER', detail: 'error rate collapse' };
    if (f.kind === 'sudden-crash') return { ...base, kind: 'CRASH', detail: 'kernel panic (no precursor)' };
    return null;
  }
}
