/**
 * The prober contract: what a resource probe checks and how its answer is classified. A probe
 * looks at one resource once (a Redis PING + ROLE, a TCP connect) and says OK, REFUSED, TIMEOUT,
 * WRONG_ROLE or ERROR; the prober (prober.ts) times it, recognises its own stalls, and publishes
 * the observation on resource.probes for the quorum judge (streams/processors/failure-detector).
 */
import type { ProbeMethod, ProbeOutcome } from '../../schemas/records/resource-probe.js';

/** A resource to probe, as the target table (probe-targets.ts) derives it from the topics. */
export interface ProbeTarget {
  resourceId: string;
  host: string;
  region: string;
  kind: string;
  /** host:port. */
  address: string;
  /** The role the resource must answer with (`master` for a Redis primary), '' for none. */
  expectedRole: string;
  intervalMs: number;
  downAfterMs: number;
  /** A probe not answered within this is a TIMEOUT (default: down-after, like Sentinel's PING). */
  timeoutMs: number;
}

/** What one probe found; the prober adds timing, target and vantage. */
export interface ProbeResult {
  outcome: Exclude<ProbeOutcome, 'STALLED' | 'TIMEOUT'> | 'TIMEOUT';
  observedRole?: string;
  detail?: string;
}

export interface Probe {
  readonly method: ProbeMethod;
  /**
   * Probes once. Must settle (never throw: failures are outcomes) and give up when `signal`
   * aborts, which the prober does at the target's timeout.
   */
  probe(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult>;
}

/** Connection-level errors that mean nothing listens at the address: the process is gone. */
const GONE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/** A socket or client error as a probe outcome (REFUSED when nothing listens, else ERROR). */
export function outcomeOfError(err: unknown): ProbeResult {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && GONE.has(code)) return { outcome: 'REFUSED', detail: code };
  if (/ECONNREFUSED|ECONNRESET|Connection is closed/i.test(message)) return { outcome: 'REFUSED', detail: message };
  if (typeof code === 'string' && /TIMEDOUT/.test(code)) return { outcome: 'TIMEOUT', detail: code };
  return { outcome: 'ERROR', detail: message.slice(0, 200) };
}
