/**
 * How the manager's inputs move shadows through their lifecycle (lifecycle.ts): rising risk queues
 * shadows of a host's resources (by priority.ts), subsiding risk takes unplaced ones off the queue,
 * host and deployment table updates keep the fleet view current (a moved or removed resource's
 * shadow is retired), operators create and retire shadows, and the results of shadow commands
 * (CREATE, REPORT_SYNC, RETIRE) advance the shadow they belong to.
 */
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { Host } from '../../../schemas/records/host.js';
import type { HostRisk } from '../../../schemas/records/host-risk.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import { consumesCapacity, type FleetState } from './fleet-state.js';
import { isTerminal, newShadowRecord, onResult, retire } from './lifecycle.js';
import type { PlacementRunner } from './placement-runner.js';
import { nextCalmSince, riskSubsided, shadowPriority, shouldShadow } from './priority.js';
import type { HostView } from './types.js';

/** Operator-requested shadows outrank every predicted non-imminent one, but not imminent ones. */
const OPERATOR_PRIORITY_FLOOR = 1.5;

export class ShadowInputs {
  constructor(
    private readonly fleet: FleetState,
    private readonly placement: PlacementRunner,
  ) {}

  async onRisk(risk: HostRisk, now: number): Promise<void> {
    const { fleet } = this;
    const opts = fleet.opts;
    const view = await fleet.view(risk.host);
    const updated: HostView = {
      ...view,
      risk,
      lastSeenAt: fleet.ctx.wallClockTime(),
      calmSince: nextCalmSince(view.calmSince, risk, now, opts),
    };
    fleet.putHost(risk.host, updated);
    if (updated.failedAt !== null) return;
    if (shouldShadow(risk, opts)) {
      for (const d of await fleet.deploymentsOn(risk.host)) await this.shadowAtRisk(d, risk, now);
    } else if (riskSubsided(risk, opts)) {
      // Nothing was spent on a queued shadow yet, so it leaves the queue at once when risk subsides.
      for (const s of await fleet.shadowsWhere(
        (s) => s.primaryHost === risk.host && s.state === 'QUEUED' && s.origin === 'PREDICTED',
      )) {
        fleet.apply(retire(s, now, 'risk subsided before the shadow was placed'), now);
      }
    }
  }

  /** Queues a shadow of `d`, whose host's risk calls for one, or moves its queued shadow up. */
  private async shadowAtRisk(d: Deployment, risk: HostRisk, now: number): Promise<void> {
    const { fleet } = this;
    const opts = fleet.opts;
    const priority = shadowPriority(
      { tier: d.tier, pFail: risk.pFail, timeToFailureMs: risk.timeToFailureMs, horizonMs: risk.horizonMs },
      opts.imminentPFail,
    );
    const existing = await fleet.shadows.get(d.resourceId);
    const coolingDown = existing?.state === 'FAILED' && now - existing.updatedAt < opts.failedCooldownMs;
    if (
      !existing ||
      (isTerminal(existing.state) &&
        !coolingDown &&
        // A recommended promotion moved nothing, so it does not stand in the way.
        !(existing.state === 'PROMOTED' && existing.primaryHost === d.host && existing.advisory !== true))
    ) {
      const epoch = await fleet.epochOf(d.resourceId);
      fleet.saveShadow(newShadowRecord(d, priority, 'PREDICTED', epoch, now, existing), now, true);
    } else if (!isTerminal(existing.state) && existing.origin === 'PREDICTED' && existing.priority !== priority) {
      // Dynamic weighting: a queued shadow moves up as its host's outlook worsens.
      fleet.saveShadow({ ...existing, priority }, now, existing.state === 'QUEUED');
    }
  }

  async onHost(hostId: string, host: Host | null): Promise<void> {
    const view = await this.fleet.view(hostId);
    // A host declared failed comes back only through an explicit UP record written after the failure.
    const back = host !== null && host.state === 'UP' && view.failedAt !== null && host.updatedAt > view.failedAt;
    this.fleet.putHost(hostId, {
      ...view,
      host,
      failedAt: back ? null : view.failedAt,
      lastSeenAt: back ? null : view.lastSeenAt,
    });
  }

  async onDeployment(resourceId: string, d: Deployment | null, now: number): Promise<void> {
    const { fleet } = this;
    if (d === null || d.outcome === 'REMOVED') {
      fleet.deleteDeployment(resourceId);
      const s = await fleet.shadows.get(resourceId);
      if (s) {
        // A live shadow is retired (its RETIRE command still goes out), then forgotten.
        fleet.apply(retire(s, now, 'resource removed'), now);
        fleet.shadows.delete(resourceId);
        fleet.queueDirty = true;
      }
      // A tombstone on shadow.state, so views of it (the API, dashboards, compaction) stop listing
      // a resource that no longer exists. Sent even when this instance knows no shadow of it: one
      // may have been published by an earlier deployment of the manager (another application id).
      // Its epoch is kept: fencing never reuses one.
      fleet.forgetShadowState(resourceId, now);
      return;
    }
    const previous = await fleet.deployments.get(resourceId);
    fleet.putDeployment(d);
    if (d.outcome === 'FAILED' && previous?.deployedAt !== d.deployedAt) {
      const view = await fleet.view(d.host);
      const window = fleet.opts.deployFailureWindowMs;
      const failures = [...view.deployFailures.filter((t) => t > now - window), d.deployedAt].slice(-50);
      fleet.putHost(d.host, { ...view, deployFailures: failures });
    }
    const s = await fleet.shadows.get(resourceId);
    if (s && !isTerminal(s.state) && s.primaryHost !== d.host) {
      fleet.apply(retire(s, now, `primary moved to ${d.host}`), now);
    }
    // A resource deployed (or moved) onto a host already at risk is shadowed now, not at the
    // host's next risk record: that may be an interval away, or never come if the host dies.
    const at = await fleet.view(d.host);
    const risk = at.risk;
    if (
      at.failedAt === null &&
      risk &&
      now - risk.timestamp <= risk.horizonMs &&
      shouldShadow(risk, fleet.opts) &&
      consumesCapacity(d)
    )
      await this.shadowAtRisk(d, risk, now);
  }

  /** CREATE_SHADOW and RETIRE_SHADOW from an operator. */
  async onRequest(req: OperatorRequest, d: Deployment | undefined, now: number): Promise<void> {
    const { fleet } = this;
    const existing = await fleet.shadows.get(req.subject);
    if (req.type === 'CREATE_SHADOW') {
      if (!d || (existing && !isTerminal(existing.state))) return;
      const risk = (await fleet.hosts.get(d.host))?.risk;
      const computed = shadowPriority(
        {
          tier: d.tier,
          pFail: risk?.pFail ?? 0,
          timeToFailureMs: risk?.timeToFailureMs ?? null,
          horizonMs: risk?.horizonMs ?? 3_600_000,
        },
        fleet.opts.imminentPFail,
      );
      const epoch = await fleet.epochOf(d.resourceId);
      const record = newShadowRecord(d, Math.max(computed, OPERATOR_PRIORITY_FLOOR), 'OPERATOR', epoch, now, existing);
      fleet.saveShadow(
        { ...record, preferredHost: req.targetHost, reason: `requested by ${req.principal}` },
        now,
        true,
      );
      return;
    }
    if (req.type === 'RETIRE_SHADOW' && existing)
      fleet.apply(retire(existing, now, `retired by ${req.principal}`), now);
  }

  /** The result of a CREATE, REPORT_SYNC or RETIRE command. */
  async onResult(res: ActuationResult, now: number): Promise<void> {
    const s = await this.fleet.shadows.get(res.subject);
    if (!s) return;
    let t = onResult(s, res, now, this.fleet.opts);
    if (t.needsPlacement) t = await this.placement.withReplacement(t, now);
    this.fleet.apply(t, now);
  }
}
