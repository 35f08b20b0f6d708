/**
 * Runs host failovers with the fleet's state: when a host fails (reported on host.failures or
 * detected by heartbeat loss) every resource on it is failed over by the pure plan of
 * host-failover.ts — promote its ready shadow, else deploy it afresh elsewhere — critical resources
 * first; each actuation result or step timeout moves its plan on, and the host failover completes
 * once every resource settled. An operator's PROMOTE_SHADOW runs the same plan for one resource.
 * The manager owns the epochs, so it alone may promote (a single writer per epoch keeps fencing
 * sound).
 */
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import { collect, type FleetState } from './fleet-state.js';
import {
  type FailoverStep,
  type HostFailoverRecord,
  hostEvent,
  hostFailoverId,
  isFailoverOpen,
  onFailoverResult,
  onFailoverTick,
  planResourceFailover,
  settleResource,
  snapshotOf,
  usableShadow,
} from './host-failover.js';
import { isActive, isTerminal, markPromoted, replaceShadow, retire } from './lifecycle.js';
import type { PlacementRunner } from './placement-runner.js';
import { shadowPriority } from './priority.js';
import type { ShadowRecord } from './types.js';

export class HostFailoverRunner {
  constructor(
    private readonly fleet: FleetState,
    private readonly placement: PlacementRunner,
  ) {}

  /** A host failed: fail over every resource on it and re-home the shadows it held. */
  async onHostFailure(failure: HostFailure, now: number, detectedHere: boolean): Promise<void> {
    const { fleet } = this;
    const opts = fleet.opts;
    const hostId = failure.host;
    const view = await fleet.view(hostId);
    if (view.failedAt !== null) return; // already failing over; duplicates and echoes act once
    const failoverId = hostFailoverId(hostId, failure.timestamp);
    if (await fleet.hostFailovers.get(failoverId)) return;
    fleet.hosts.put(hostId, { ...view, failedAt: failure.timestamp });
    if (detectedHere) fleet.publishFailure(failure, now);

    const resources = await fleet.deploymentsOn(hostId);
    const risk = view.risk;
    const ranked = resources
      .map((d) => ({
        d,
        priority: shadowPriority(
          { tier: d.tier, pFail: 1, timeToFailureMs: 0, horizonMs: risk?.horizonMs ?? 1 },
          opts.imminentPFail,
        ),
      }))
      .sort((a, b) => b.priority - a.priority || (a.d.resourceId < b.d.resourceId ? -1 : 1));
    let hostRecord: HostFailoverRecord = {
      failoverId,
      host: hostId,
      region: failure.region || view.host?.region || '',
      // Elapsed times count from here, on this processor's clock: the failure's own timestamp comes
      // from the detector's clock (skewed, or simulated in the demo) and names the failover only.
      detectedAt: now,
      kind: failure.kind,
      resources: ranked.map((r) => r.d.resourceId),
      done: [],
      failed: [],
      completed: false,
    };
    fleet.emitEvent(
      hostEvent(hostRecord, 'DETECTED', now, {
        detail: `${failure.kind} from ${failure.source}; ${ranked.length} resource(s)${failure.detail ? `; ${failure.detail}` : ''}`,
      }),
    );

    for (const { d, priority } of ranked) {
      const shadow = await fleet.shadows.get(d.resourceId);
      const currentEpoch = await fleet.epochOf(d.resourceId);
      const usable = usableShadow(shadow, hostId, opts);
      const standardTarget = usable ? undefined : await this.placement.placeStandard(d);
      const step = planResourceFailover(
        {
          failoverId,
          detectedAt: now,
          now,
          resource: snapshotOf(d, priority),
          shadow,
          currentEpoch,
          standardTarget,
        },
        opts,
      );
      if (shadow && !usable && !isTerminal(shadow.state)) {
        fleet.apply(retire(shadow, now, 'primary failed before the shadow was ready'), now);
      }
      hostRecord = (await this.applyStep(step, hostRecord, now)) ?? hostRecord;
    }
    if (ranked.length === 0) {
      hostRecord = { ...hostRecord, completed: true };
      fleet.emitEvent(hostEvent(hostRecord, 'COMPLETED', now, { detail: 'no resources on host' }));
    }
    fleet.hostFailovers.put(failoverId, hostRecord);

    // Shadows that lived on the failed host are gone: find them another home.
    for (const s of await fleet.shadowsWhere((s) => s.shadowHost === hostId && isActive(s.state))) {
      const excluded = s.excludedHosts.includes(hostId) ? s.excludedHosts : [...s.excludedHosts, hostId];
      const target = await this.placement.place({ ...s, excludedHosts: excluded });
      fleet.apply(
        replaceShadow({ ...s, excludedHosts: excluded, reason: `shadow host ${hostId} failed` }, target, now, opts),
        now,
      );
    }
  }

  /** PROMOTE_SHADOW: a planned switchover; the same plan as a failover, without a failed host. */
  async onPromoteRequest(req: OperatorRequest, d: Deployment, existing: ShadowRecord | undefined, now: number) {
    const { fleet } = this;
    const failoverId = `op:${req.requestId}`;
    const open = await fleet.resourceFailovers.get(d.resourceId);
    const hostRecord: HostFailoverRecord = {
      failoverId,
      host: d.host,
      region: d.region,
      detectedAt: now,
      kind: 'MANUAL',
      resources: [d.resourceId],
      done: [],
      failed: [],
      completed: false,
    };
    if (!existing || (open && isFailoverOpen(open)) || !usableShadow(existing, d.host, fleet.opts)) {
      const why =
        open && isFailoverOpen(open)
          ? `failover ${open.failoverId} in progress`
          : `no ready shadow (state ${existing?.state ?? 'none'})`;
      fleet.emitEvent(
        hostEvent(hostRecord, 'PROMOTION_REFUSED', now, {
          resourceId: d.resourceId,
          detail: `requested by ${req.principal}: ${why}`,
        }),
      );
      return;
    }
    fleet.emitEvent(
      hostEvent(hostRecord, 'PROMOTION_REQUESTED_BY_OPERATOR', now, {
        resourceId: d.resourceId,
        detail: `by ${req.principal}`,
      }),
    );
    const step = planResourceFailover(
      {
        failoverId,
        detectedAt: now,
        now,
        resource: snapshotOf(d, existing.priority),
        shadow: existing,
        currentEpoch: await fleet.epochOf(d.resourceId),
        standardTarget: undefined,
      },
      fleet.opts,
    );
    fleet.hostFailovers.put(failoverId, (await this.applyStep(step, hostRecord, now)) ?? hostRecord);
  }

  /** The result of a failover command (PROMOTE, FENCE, REDIRECT, DEPLOY_STANDARD). */
  async onResult(res: ActuationResult, now: number): Promise<void> {
    const f = await this.fleet.resourceFailovers.get(res.subject);
    if (!f) return;
    const step = onFailoverResult(f, res, now, this.fleet.opts);
    if (step.failover === f) return;
    await this.settle(step, now);
  }

  /** Retries or fails the steps whose result did not come back in time. */
  async tick(now: number): Promise<void> {
    for (const f of await collect(this.fleet.resourceFailovers.all())) {
      const step = onFailoverTick(f, now, this.fleet.opts);
      if (step.failover === f) continue;
      await this.settle(step, now);
    }
  }

  private async settle(step: FailoverStep, now: number): Promise<void> {
    const { fleet } = this;
    const failoverId = step.failover.failoverId;
    const hostRecord = await fleet.hostFailovers.get(failoverId);
    const settled = await this.applyStep(step, hostRecord ?? null, now);
    if (hostRecord && settled) fleet.hostFailovers.put(failoverId, settled);
  }

  /** Emits a failover step, keeps epochs and shadow states in line, and folds it into its host failover. */
  private async applyStep(
    step: FailoverStep,
    hostRecord: HostFailoverRecord | null,
    now: number,
  ): Promise<HostFailoverRecord | null> {
    const { fleet } = this;
    const f = step.failover;
    const id = f.resource.resourceId;
    fleet.resourceFailovers.put(id, f);
    // The epoch is taken the moment a command carries it, so no later decision can reuse it.
    if (step.commands.length > 0) fleet.epochs.put(id, f.epoch);
    fleet.sendCommands(step.commands, now);
    for (const e of step.events) fleet.emitEvent(e);
    if (f.mode === 'SHADOW' && step.events.some((e) => e.step === 'SHADOW_PROMOTED')) {
      const s = await fleet.shadows.get(id);
      if (s && s.state !== 'PROMOTED')
        fleet.saveShadow(markPromoted(s, now, f.epoch, `promoted (${f.failoverId})`), now, true);
    }
    if (!hostRecord) return null;
    const settled = settleResource(hostRecord, f, now);
    for (const e of settled.events) fleet.emitEvent(e);
    return settled.host;
  }
}
