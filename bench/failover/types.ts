/** Results of the failover drill (bench/results/failover.json is a FailoverDrillResult). */
import type { Progress } from '../../demo/progress.js';
import type { Spread } from './measure.js';

/** How a system is told to detect a failure: probe (PING) every interval, down after no answer for down-after. */
export interface DetectionSettings {
  probeIntervalMs: number;
  downAfterMs: number;
}

/** The primary paused (SIGSTOP … SIGCONT) for less than down-after: nothing should fail over. */
export interface FalsePositiveTrial {
  pauseMs: number;
  /** How long after the pause began failovers were watched for. */
  watchedMs: number;
  /** Failovers that should not have happened (Foreshadow: PROMOTE commands; Sentinel: +switch-master). */
  failovers: number;
  /** Failures declared (Foreshadow: host.failures records; Sentinel: +odown events). */
  failuresDeclared: number;
  /** The client's outage around the pause (HAProxy's own checks take the paused server out too). */
  clientOutageMs: number | null;
}

export interface KillTrial {
  unavailabilityMs: number | null;
  killToFirstWriteMs: number | null;
  outageStartVsKillMs: number | null;
  failedOps: number;
  ackedWrites: number;
  lostAckedWrites: number;
  lagAllowanceWrites: number;
  lostBeyondReportedLag: number;
  /** What the system reported about replication before the kill (Foreshadow: shadow.state lag). */
  reportedLagBytes: number | null;
  /** From INFO replication on both servers right before the kill. */
  measuredLagBytesAtKill: number | null;
  newPrimaryServing: boolean;
  /**
   * Milliseconds after the kill: detectedMs (the failure declared on a quorum: Foreshadow's
   * host.failures record, Sentinel's +odown), promotedMs (the new primary first answering ROLE as
   * master, polled every 10 ms for both systems), redirectedMs (REDIRECT done; Sentinel: none,
   * HAProxy's role check follows the promotion), firstWriteMs; plus each system's own reports
   * (promoteResultMs: the actuator's PROMOTE result; sentinelPromotedSlaveMs, sentinelSwitchedMs).
   */
  timeline: Record<string, number>;
  notes: string[];
}

export interface Trial {
  falsePositive: FalsePositiveTrial;
  /** Null when the pause already caused a failover (the kill would not be measured cleanly). */
  kill: KillTrial | null;
}

export interface CaseSummary {
  unavailabilityMs: Spread;
  killToFirstWriteMs: Spread;
  detectedMs: Spread;
  promotedMs: Spread;
  redirectedMs: Spread;
  falseFailovers: number;
  ackedWrites: number;
  lostAckedWrites: number;
  lostBeyondReportedLag: number;
}

export interface CaseResult {
  name: string;
  system: 'foreshadow' | 'sentinel';
  detection: DetectionSettings;
  trials: Trial[];
  summary: CaseSummary;
  // The first trial's figures, flat (the shape earlier results and tests read).
  unavailabilityMs: number | null;
  killToFirstWriteMs: number | null;
  ackedWrites: number;
  lostAckedWrites: number;
  reportedLagBytes: number | null;
  measuredLagBytesAtKill: number | null;
  newPrimaryServing: boolean;
  timeline: Record<string, number>;
  notes: string[];
}

export interface FailoverDrillResult {
  when: string;
  short: boolean;
  trials: number;
  /** `uptime` before and after the run: how loaded the machine was. */
  load: { before: string; after: string };
  cases: CaseResult[];
}

export interface DrillOptions {
  /** Steady writes before and after each fault. */
  steadyMs: number;
  /** Kills (and pauses) per case. */
  trials: number;
  /** Detection settings compared (each run by Foreshadow and by Sentinel). */
  settings: DetectionSettings[];
  /** Also Sentinel with its defaults (30 s down-after), one trial. */
  sentinelDefault: boolean;
  /** Pause length as a share of down-after in the false-positive case. */
  pauseShare: number;
  progress: Progress;
}
