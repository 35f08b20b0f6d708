/**
 * When a host's risk is published. By default every sample gives a record (dashboards and tests
 * read the series). With `emitEveryMs` set, a record goes out only when the risk changes materially
 * — its level, the deviating or rising flags, an exhaustion projected within the horizon appearing,
 * going or moving by a quarter, or the failure probability moving by `emitPFailChange` — and at
 * least every `emitEveryMs` of event time as a keep-alive. At 100k hosts reporting every 10 s that turns 10k routine records a second into
 * the shadow manager's one partition into a few hundred, with every change still published at once.
 */
import type { HostRisk } from '../../../schemas/records/host-risk.js';

export interface EmissionOptions {
  /** 0: every sample. Otherwise the longest event-time gap between a host's records. */
  emitEveryMs: number;
  /** The move of pFail that is published at once. */
  emitPFailChange: number;
}

/** What was last published for a host. */
export type LastEmitted = Pick<
  HostRisk,
  'level' | 'deviating' | 'rising' | 'pFail' | 'timeToFailureMs' | 'horizonMs' | 'timestamp'
>;

/** The exhaustion projection if it falls within the horizon (projections days out are noise here). */
function soon(r: LastEmitted): number | null {
  return r.timeToFailureMs !== null && r.timeToFailureMs <= r.horizonMs ? r.timeToFailureMs : null;
}

function projectionMoved(last: LastEmitted, next: HostRisk): boolean {
  const [a, b] = [soon(last), soon(next)];
  if (a === null || b === null) return a !== b;
  return Math.abs(b - a) >= 0.25 * Math.max(a, 1);
}

export function shouldEmit(last: LastEmitted | undefined, next: HostRisk, o: EmissionOptions): boolean {
  if (o.emitEveryMs === 0 || last === undefined) return true;
  return (
    next.level !== last.level ||
    next.deviating !== last.deviating ||
    next.rising !== last.rising ||
    projectionMoved(last, next) ||
    Math.abs(next.pFail - last.pFail) >= o.emitPFailChange ||
    next.timestamp - last.timestamp >= o.emitEveryMs
  );
}

export function lastEmitted(r: HostRisk): LastEmitted {
  return {
    level: r.level,
    deviating: r.deviating,
    rising: r.rising,
    pFail: r.pFail,
    timeToFailureMs: r.timeToFailureMs,
    horizonMs: r.horizonMs,
    timestamp: r.timestamp,
  };
}
