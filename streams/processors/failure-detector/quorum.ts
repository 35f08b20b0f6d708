/**
 * The quorum judge as pure functions: one verdict per probed target (resource × address), folded
 * from the observations of every vantage point.
 *
 * A vantage votes a target down when it has seen no good answer for the target's down-after time
 * (and at least `minFailedProbes` failed probes in a row). When that time starts depends on what
 * failed, as in Redis Sentinel: a refused connection means nothing listens any more, so the
 * silence runs from the last good probe (Sentinel: the last valid reply of a disconnected link); a
 * timeout or a wrong answer runs from the start of the first failed probe (Sentinel: the oldest
 * unanswered PING), so a process paused for less than down-after is never voted down. A probe the
 * prober itself could not time (it was frozen or starved: STALLED) is ignored.
 *
 * The target is declared failed, once, when `quorum` distinct vantages vote down at the same time
 * (each vote fresh); one slow or partitioned prober alone never reaches it. A target that answers
 * again before that is back to UP; a declared one is re-armed once `quorum` vantages see it answer.
 */

import type { FailureKind, HostFailure } from '../../../schemas/records/host-failure.js';
import type { ProbeOutcome, ResourceProbe } from '../../../schemas/records/resource-probe.js';
import type { FailureDetectorOptions } from './options.js';

export type TargetStatus = 'UP' | 'SUSPECT' | 'DOWN';

export interface VantageView {
  /** Finish time of the latest observation counted. */
  lastAt: number;
  lastOkAt: number | null;
  /** Start of the last probe answered OK. */
  lastOkStartedAt: number | null;
  /** When the current silence began (null while answering). */
  failingSince: number | null;
  /** Failed probes in a row. */
  failures: number;
  lastOutcome: ProbeOutcome;
  lastDetail: string;
  intervalMs: number;
  downAfterMs: number;
}

export interface TargetVerdict {
  resourceId: string;
  address: string;
  host: string;
  region: string;
  kind: string;
  status: TargetStatus;
  /** Event time the status was entered. */
  since: number;
  /** Newest observation of the target, from any vantage. */
  newestAt: number;
  vantages: Record<string, VantageView>;
  /** Failures declared for this target so far. */
  declared: number;
}

export type QuorumPolicy = Pick<
  FailureDetectorOptions,
  'quorum' | 'minFailedProbes' | 'staleAfterIntervals' | 'timingSlackMs'
>;

export type Transition = 'SUSPECT' | 'RECOVERED' | 'DOWN' | 'REARMED';

export interface Judgement {
  verdict: TargetVerdict;
  transition?: Transition;
  /** Set exactly once per declared failure. */
  failure?: HostFailure;
}

/** Store key of a target: the same resource at another address is another target. */
export function targetKey(resourceId: string, address: string): string {
  return `${resourceId}\u001f${address}`;
}

export function isFailed(outcome: ProbeOutcome): boolean {
  return outcome !== 'OK' && outcome !== 'STALLED';
}

/** One vantage's view after one of its observations (older ones than its last are ignored). */
export function foldVantage(view: VantageView | undefined, o: ResourceProbe): VantageView | undefined {
  if (o.outcome === 'STALLED') return view;
  if (view && o.timestamp < view.lastAt) return view;
  const base = {
    lastAt: o.timestamp,
    lastOutcome: o.outcome,
    lastDetail: o.detail,
    intervalMs: o.intervalMs,
    downAfterMs: o.downAfterMs,
  };
  if (o.outcome === 'OK')
    return { ...base, lastOkAt: o.timestamp, lastOkStartedAt: o.startedAt, failingSince: null, failures: 0 };
  const lastOkAt = view?.lastOkAt ?? null;
  const lastOkStartedAt = view?.lastOkStartedAt ?? null;
  // A refusal counts from the last good probe's start: probes one interval apart then measure one
  // interval of silence, however long that good probe took to be answered (its latency grows
  // with the prober's load, and would otherwise cost a whole extra interval).
  const failingSince =
    view?.failingSince ?? (o.outcome === 'REFUSED' && lastOkStartedAt !== null ? lastOkStartedAt : o.startedAt);
  return { ...base, lastOkAt, lastOkStartedAt, failingSince, failures: (view?.failures ?? 0) + 1 };
}

/** How long a vantage has seen no good answer (0 while answering). */
export function silenceMs(v: VantageView): number {
  return v.failingSince === null ? 0 : Math.max(0, v.lastAt - v.failingSince);
}

export function isFresh(v: VantageView, newestAt: number, policy: QuorumPolicy): boolean {
  return newestAt - v.lastAt <= v.downAfterMs + policy.staleAfterIntervals * v.intervalMs;
}

/** Timer jitter tolerated on down-after: the configured slack, at least a tenth of the interval. */
export function slackMs(v: VantageView, policy: QuorumPolicy): number {
  return Math.max(policy.timingSlackMs, Math.floor(v.intervalMs / 10));
}

export function votesDown(v: VantageView, newestAt: number, policy: QuorumPolicy): boolean {
  return (
    isFresh(v, newestAt, policy) &&
    v.failures >= policy.minFailedProbes &&
    silenceMs(v) >= v.downAfterMs - slackMs(v, policy)
  );
}

function kindOf(outcomes: ProbeOutcome[]): FailureKind {
  const count = (x: ProbeOutcome) => outcomes.filter((o) => o === x).length;
  // A process that is gone (refused) is a crash; silence alone may be the host or the network.
  if (count('REFUSED') * 2 > outcomes.length) return 'CRASH';
  if (count('TIMEOUT') * 2 > outcomes.length) return 'NETWORK';
  return 'OTHER';
}

function describeVotes(voters: [string, VantageView][], policy: QuorumPolicy, address: string): string {
  const parts = voters.map(
    ([name, v]) =>
      `${name}: ${v.lastOutcome} ×${v.failures}, no good answer for ${silenceMs(v)} ms${v.lastDetail ? ` (${v.lastDetail})` : ''}`,
  );
  return `${address} down at ${voters.length} vantage(s), quorum ${policy.quorum}: ${parts.join('; ')}`;
}

/** Folds one observation into its target's verdict. */
export function judge(previous: TargetVerdict | undefined, o: ResourceProbe, policy: QuorumPolicy): Judgement {
  const fresh: TargetVerdict = previous ?? {
    resourceId: o.resourceId,
    address: o.address,
    host: o.host,
    region: o.region,
    kind: o.kind,
    status: 'UP',
    since: o.timestamp,
    newestAt: o.timestamp,
    vantages: {},
    declared: 0,
  };
  const folded = foldVantage(fresh.vantages[o.vantage], o);
  if (!folded) return { verdict: fresh };
  const newestAt = Math.max(fresh.newestAt, o.outcome === 'STALLED' ? 0 : o.timestamp);
  const verdict: TargetVerdict = {
    ...fresh,
    // The latest observation names where the resource lives now (its host may have been re-read).
    host: o.host || fresh.host,
    region: o.region || fresh.region,
    newestAt,
    vantages: { ...fresh.vantages, [o.vantage]: folded },
  };
  const views = Object.entries(verdict.vantages).filter(([, v]) => isFresh(v, newestAt, policy));
  const voters = views.filter(([, v]) => votesDown(v, newestAt, policy));
  const failing = views.some(([, v]) => v.failingSince !== null);

  if (verdict.status === 'DOWN') {
    // Re-armed only when a quorum sees it answer and no quorum still votes it down (with quorum 1
    // and one partitioned vantage, the other's answers alone would re-arm and re-declare for ever).
    const answering = views.filter(([, v]) => v.failingSince === null && (v.lastOkAt ?? 0) > verdict.since);
    if (answering.length >= policy.quorum && voters.length < policy.quorum) {
      return { verdict: { ...verdict, status: 'UP', since: newestAt }, transition: 'REARMED' };
    }
    return { verdict };
  }
  if (voters.length >= policy.quorum) {
    const down: TargetVerdict = { ...verdict, status: 'DOWN', since: newestAt, declared: verdict.declared + 1 };
    return {
      verdict: down,
      transition: 'DOWN',
      failure: {
        host: down.host,
        region: down.region,
        timestamp: newestAt,
        kind: kindOf(voters.map(([, v]) => v.lastOutcome)),
        source: 'failure-detector',
        detail: describeVotes(voters, policy, down.address),
        resourceId: down.resourceId,
      },
    };
  }
  if (verdict.status === 'UP' && failing) {
    return { verdict: { ...verdict, status: 'SUSPECT', since: newestAt }, transition: 'SUSPECT' };
  }
  if (verdict.status === 'SUSPECT' && !failing) {
    return { verdict: { ...verdict, status: 'UP', since: newestAt }, transition: 'RECOVERED' };
  }
  return { verdict };
}

/** True when a verdict has not been observed for `retainMs` (its resource moved or is gone). */
export function isForgotten(v: TargetVerdict, now: number, retainMs: number): boolean {
  return now - v.newestAt > retainMs;
}
