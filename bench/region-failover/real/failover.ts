/**
 * A region failover as Foreshadow runs it, in the drill's process: the failover orchestrator's own
 * state machine (startRegionFailover / onRegionResult) plans from the blueprint and issues its
 * commands; the region actuator (sinks/region: PostgreSQL, Redis, HAProxy and DNS actuators)
 * carries them out against the real processes, one command at a time in the order issued (as the
 * actuator consumer handles a region's commands: they share a partition), retrying transient
 * failures with the consumer's backoff policy. Kafka between the two is left out of the measured
 * path (the host failover drill measures that path); everything else is the production code.
 * Each service's start (the actuator beginning to start it) and readiness (the actuator's own
 * health check passing: PostgreSQL promoted and writable, Redis PING, HAProxy serving) are timed.
 */

import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import { RetriesExhausted, retryPolicySchema, withRetry } from '../../../sinks/framework/retry.js';
import type { ActuationContext, ActuationResult, FailoverCommand, Outcome } from '../../../sinks/framework/types.js';
import type { RegionMember, RegionProvider } from '../../../sinks/region/region-provider.js';
import {
  isRegionFailoverOpen,
  onRegionResult,
  type RegionFailover,
  startRegionFailover,
} from '../../../streams/processors/failover-orchestrator/region-failover.js';
import { describeError, ForeshadowError } from '../../../streams/runtime/errors.js';

export interface ServiceTiming {
  /** ms from the failure signal: the actuator began starting the service. */
  startMs: number;
  /** ms from the failure signal: the actuator's health check of the service passed. */
  readyMs: number;
}

/** Wraps a member to time its services' starts; times are ms since `t0` (performance.now()). */
export function timedMember(m: RegionMember, t0: number, times: Map<string, ServiceTiming>): RegionMember {
  return {
    name: m.name,
    accepts: (c) => m.accepts(c),
    ownsService: (s, r) => m.ownsService(s, r),
    failoverStep: async (cmd: FailoverCommand, ctx: ActuationContext): Promise<Outcome> => {
      const mine =
        cmd.type === 'LAUNCH_LEVEL' && !cmd.provisionOnly
          ? cmd.services.filter((s) => m.ownsService(s.service, cmd.shadowRegion)).map((s) => s.service)
          : [];
      const startMs = performance.now() - t0;
      const out = await m.failoverStep(cmd, ctx);
      const readyMs = performance.now() - t0;
      for (const s of mine) times.set(s, { startMs, readyMs });
      return out;
    },
  };
}

export interface CommandLog {
  type: string;
  services: string[];
  provisionOnly: boolean;
  /** ms from the failure signal. */
  issuedMs: number;
  doneMs: number;
  status: string;
  attempts: number;
  detail: string;
}

export interface FailoverRun {
  failover: RegionFailover;
  commands: CommandLog[];
  /** ms from the failure signal when the plan's first commands were issued. */
  firstCommandMs: number;
  /** ms from the failure signal when the orchestrator reached DONE (or gave up). */
  doneMs: number;
  events: string[];
}

const RETRY = retryPolicySchema.parse({ maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 1_000 });

function resultOf(
  cmd: FailoverCommand,
  outcome: Outcome | undefined,
  attempts: number,
  err?: unknown,
): ActuationResult {
  const status = err !== undefined ? 'FAILED' : (outcome?.status ?? 'SUCCEEDED');
  return {
    commandId: cmd.commandId,
    commandType: cmd.type,
    subject: cmd.primaryRegion,
    provider: 'region',
    epoch: cmd.epoch,
    status,
    retriable: err instanceof ForeshadowError ? err.retriable : err !== undefined,
    address: outcome?.address ?? '',
    lagBytes: outcome?.lagBytes ?? null,
    lagMs: outcome?.lagMs ?? null,
    durationMs: 0,
    attempt: attempts,
    detail: err !== undefined ? describeError(err) : (outcome?.detail ?? ''),
    timestamp: Date.now(),
  };
}

/** Runs the failover to its end; `t0` is the failure signal (performance.now()). */
export async function runRegionFailover(
  provider: RegionProvider,
  blueprint: ShadowBlueprint,
  epoch: number,
  t0: number,
  trigger: string,
): Promise<FailoverRun> {
  const since = (): number => performance.now() - t0;
  const ctx: ActuationContext = { attempt: 1, signal: new AbortController().signal, progress: async () => undefined };
  const limits = { regionStepTimeoutMs: 120_000, regionMaxAttempts: 3 };
  const commands: CommandLog[] = [];
  const events: string[] = [];
  let t = startRegionFailover({ blueprint, epoch, dryRun: false, trigger, now: Date.now() });
  const firstCommandMs = since();
  const queue: FailoverCommand[] = [];
  const note = (): void => {
    for (const e of t.events) events.push(`${Math.round(since())} ms ${e.step} ${e.detail}`);
    queue.push(...t.commands.filter((c) => c.type !== 'ABORT'));
  };
  note();
  while (isRegionFailoverOpen(t.failover)) {
    const cmd = queue.shift();
    if (!cmd) throw new Error(`failover stalled in ${t.failover.step} with no command outstanding`);
    const issuedMs = since();
    let attempts = 0;
    let res: ActuationResult;
    try {
      const run = await withRetry(RETRY, (attempt) => {
        attempts = attempt;
        return provider.failoverStep(cmd, { ...ctx, attempt });
      });
      res = resultOf(cmd, run.value, run.attempts);
    } catch (err: unknown) {
      res = resultOf(cmd, undefined, attempts, err instanceof RetriesExhausted ? err.last : err);
    }
    commands.push({
      type: cmd.type,
      services: cmd.services.map((s) => s.service),
      provisionOnly: cmd.provisionOnly === true,
      issuedMs,
      doneMs: since(),
      status: res.status,
      attempts: res.attempt,
      detail: res.detail,
    });
    t = onRegionResult(t.failover, res, Date.now(), limits);
    note();
  }
  return { failover: t.failover, commands, firstCommandMs, doneMs: since(), events };
}
