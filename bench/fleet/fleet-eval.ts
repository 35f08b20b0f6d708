/**
 * Runs the risk engine over a simulated fleet exactly as the processor would (samples in time
 * order, failures as labels) and measures what matters operationally: lead time of the first
 * WARNING before each predictable failure, false alarms on hosts that never fail, and calibration
 * (Brier score, reliability buckets) of pFail against "fails within the horizon".
 */
import type { RiskLevel } from '../../schemas/records/host-risk.js';
import {
  brierScore,
  type ModelState,
  newModel,
  type ReliabilityBucket,
  reliability,
} from '../../streams/processors/failure-risk/model.js';
import {
  applyOutcome,
  DEFAULT_RISK_OPTIONS,
  evaluateSample,
  type HostRiskState,
  newHostRiskState,
  type RiskOptions,
} from '../../streams/processors/failure-risk/risk-engine.js';
import { type FleetSimOptions, FleetSimulator, type SimHost } from './fleet-sim.js';

export interface FleetEvalOptions {
  sim: Partial<FleetSimOptions>;
  risk: RiskOptions;
  /** Train the model online (negatives as they settle, failures as labels); false = frozen, for held-out runs. */
  learn: boolean;
  /** Evaluations before this are not judged (baselines warming up). */
  judgeAfterMs: number;
  alarmLevel: RiskLevel;
  /** Edges of the reliability buckets. */
  reliabilityEdges?: readonly number[];
}

export const DEFAULT_FLEET_EVAL: FleetEvalOptions = {
  sim: {},
  risk: DEFAULT_RISK_OPTIONS,
  learn: true,
  judgeAfterMs: 24 * 3_600_000,
  alarmLevel: 'WARNING',
};

export interface HostOutcome {
  host: string;
  fault: string | null;
  failedAt: number | null;
  firstAlarm: number | null;
  leadTimeMs: number | null;
  alarmSamples: number;
  /** The record at the first alarm showed the shadow trigger (deviating && rising). */
  triggerAtAlarm: boolean;
}

export interface FleetReport {
  hosts: number;
  steadyHosts: number;
  predictableFailures: number;
  detected: number;
  leadTimesMin: { min: number; median: number; mean: number; max: number } | null;
  byFault: Record<string, { failures: number; detected: number; medianLeadMin: number | null }>;
  falseAlarmHosts: number;
  falseAlarmRate: number;
  /** Hosts with a false alarm per steady host-day (what the first version of this report counted). */
  falseAlarmsPerHostDay: number;
  /**
   * Alarm episodes (runs of consecutive alarm-level records) while a host was healthy — steady
   * hosts all along, faulty ones before their fault's onset — per healthy host-day judged.
   */
  falseAlarmEpisodesPerHostDay: number;
  falseAlarmEpisodes: number;
  healthyHostDays: number;
  /** Lead times of detected failures: quantiles and a histogram in minutes. */
  leadTimeDistribution: LeadTimeDistribution | null;
  brier: number;
  reliability: ReliabilityBucket[];
  evaluations: number;
  outcomes: HostOutcome[];
}

export interface LeadTimeDistribution {
  p10: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  /** Failures detected with a lead time in [lower, upper) minutes. */
  histogram: Array<{ lowerMin: number; upperMin: number | null; count: number }>;
}

const LEAD_BUCKETS_MIN = [0, 15, 30, 60, 120, 240];

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function leadTimeDistribution(leadsMin: readonly number[]): LeadTimeDistribution | null {
  if (leadsMin.length === 0) return null;
  const s = [...leadsMin].sort((a, b) => a - b);
  return {
    p10: quantile(s, 0.1),
    p25: quantile(s, 0.25),
    p50: quantile(s, 0.5),
    p75: quantile(s, 0.75),
    p90: quantile(s, 0.9),
    histogram: LEAD_BUCKETS_MIN.map((lower, i) => {
      const upper = LEAD_BUCKETS_MIN[i + 1] ?? null;
      return {
        lowerMin: lower,
        upperMin: upper,
        count: s.filter((x) => x >= lower && (upper === null || x < upper)).length,
      };
    }),
  };
}

const RANK: Record<RiskLevel, number> = { OK: 0, WATCH: 1, WARNING: 2, CRITICAL: 3 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs one fleet; `model` is trained in place when `learn` is set (pass a trained one to hold out). */
export function evaluateFleet(options: Partial<FleetEvalOptions> = {}, model: ModelState = newModel()): FleetReport {
  const o = { ...DEFAULT_FLEET_EVAL, ...options };
  const sim = new FleetSimulator(o.sim);
  const states = new Map<string, HostRiskState>();
  const firstAlarm = new Map<string, { t: number; trigger: boolean }>();
  const alarmCount = new Map<string, number>();
  const preds: Array<{ host: string; t: number; p: number }> = [];
  const judgeFrom = sim.opts.start + o.judgeAfterMs;
  const faultOf = new Map(sim.hosts.map((h) => [h.host, h.fault]));
  // Alarm episodes while healthy: the host was in alarm at its previous judged record.
  const inAlarm = new Map<string, boolean>();
  let falseEpisodes = 0;
  let healthyRecords = 0;
  for (const step of sim.run()) {
    for (const s of step.samples) {
      let st = states.get(s.host);
      if (!st) {
        st = newHostRiskState(s.host, s.region, s.zone);
        states.set(s.host, st);
      }
      const risk = evaluateSample(st, model, s, o.risk, o.learn);
      if (step.t < judgeFrom) continue;
      preds.push({ host: s.host, t: step.t, p: risk.pFail });
      const alarm = RANK[risk.level] >= RANK[o.alarmLevel];
      const fault = faultOf.get(s.host);
      if (!fault || step.t < fault.onset) {
        healthyRecords++;
        if (alarm && !inAlarm.get(s.host)) falseEpisodes++;
      }
      inAlarm.set(s.host, alarm);
      if (alarm) {
        alarmCount.set(s.host, (alarmCount.get(s.host) ?? 0) + 1);
        if (!firstAlarm.has(s.host)) firstAlarm.set(s.host, { t: step.t, trigger: risk.deviating && risk.rising });
      }
    }
    if (o.learn) {
      for (const f of step.failures) {
        const st = states.get(f.host);
        if (st) applyOutcome(st, model, f.timestamp, 'host-failure', o.risk);
      }
    }
  }

  const byHost = new Map<string, SimHost>(sim.hosts.map((h) => [h.host, h]));
  const horizon = o.risk.features.horizonMs;
  const pairs = preds.map(({ host, t, p }) => {
    const failedAt = byHost.get(host)?.failedAt ?? null;
    return { p, y: failedAt !== null && failedAt > t && failedAt - t <= horizon ? 1 : 0 };
  });

  const outcomes: HostOutcome[] = sim.hosts.map((h) => {
    const alarm = firstAlarm.get(h.host);
    const lead = h.failedAt !== null && alarm && alarm.t <= h.failedAt ? h.failedAt - alarm.t : null;
    return {
      host: h.host,
      fault: h.fault?.kind ?? null,
      failedAt: h.failedAt,
      firstAlarm: alarm?.t ?? null,
      leadTimeMs: lead,
      alarmSamples: alarmCount.get(h.host) ?? 0,
      triggerAtAlarm: alarm?.trigger ?? false,
    };
  });
  // Predictable = failed from a fault with precursors; alarms on faulty hosts before the fault's
  // onset count as false alarms too (the host was healthy then).
  const predictable = outcomes.filter((x) => x.failedAt !== null && x.fault !== 'sudden-crash');
  const detectedOnes = predictable.filter((x) => {
    const h = byHost.get(x.host)!;
    return x.firstAlarm !== null && h.fault !== null && x.firstAlarm >= h.fault.onset;
  });
  const steady = outcomes.filter((x) => x.fault === null);
  const falseHosts = steady.filter((x) => x.alarmSamples > 0);
  const days = (sim.opts.durationMs - o.judgeAfterMs) / 86_400_000;
  const falseHostCount = steady.reduce((n, x) => n + (x.alarmSamples > 0 ? 1 : 0), 0);
  const healthyHostDays = (healthyRecords * sim.opts.stepMs) / 86_400_000;
  const leads = detectedOnes.map((x) => x.leadTimeMs! / 60_000);
  const byFault: FleetReport['byFault'] = {};
  for (const kind of new Set(outcomes.map((x) => x.fault).filter((k): k is string => k !== null))) {
    const failed = outcomes.filter((x) => x.fault === kind && x.failedAt !== null);
    const det = failed.filter((x) => detectedOnes.includes(x));
    byFault[kind] = {
      failures: failed.length,
      detected: det.length,
      medianLeadMin: det.length ? median(det.map((x) => x.leadTimeMs! / 60_000)) : null,
    };
  }
  return {
    hosts: outcomes.length,
    steadyHosts: steady.length,
    predictableFailures: predictable.length,
    detected: detectedOnes.length,
    leadTimesMin: leads.length
      ? {
          min: Math.min(...leads),
          median: median(leads),
          mean: leads.reduce((a, b) => a + b, 0) / leads.length,
          max: Math.max(...leads),
        }
      : null,
    byFault,
    falseAlarmHosts: falseHosts.length,
    falseAlarmRate: steady.length ? falseHosts.length / steady.length : 0,
    falseAlarmsPerHostDay: steady.length && days > 0 ? falseHostCount / (steady.length * days) : 0,
    falseAlarmEpisodesPerHostDay: healthyHostDays > 0 ? falseEpisodes / healthyHostDays : 0,
    falseAlarmEpisodes: falseEpisodes,
    healthyHostDays,
    leadTimeDistribution: leadTimeDistribution(leads),
    brier: brierScore(pairs),
    reliability: o.reliabilityEdges ? reliability(pairs, o.reliabilityEdges) : reliability(pairs),
    evaluations: pairs.length,
    outcomes,
  };
}
