/**
 * Runs host failovers with the fleet's state: when a host fails (reported on host.failures or
 * detected by heartbeat loss) every resource on it is failed over by the pure plan of
 * host-failover.ts — promote its ready shadow, else deploy it afresh elsewhere — critical resources
 * first; each actuation result or step timeout moves its plan on, and the host failover completes
 * once every resource settled. An operator's PROMOTE_SHADOW runs the same plan for one resource, and
 * so does the failure of one resource (host.failures with `resourceId`: resource-failure.ts).
 * The manager owns the epochs, so it alone may promote (a single writer per epoch keeps fencing
 * sound).
 *
 * Safety controls: a failure of a host that is in a maintenance window (its own or its region's),
 * or that arrives while automation is paused, is not failed over; it is recorded as
 * FAILOVER_SUPPRESSED with the control, once per host and control. Failover actions beyond the
 * blast-radius limit (blast-radius.ts) are HELD and released by the wall-clock round in priority
 * order; in advise mode each plan is recommended whole (host-failover.ts `advisePlan`).
 */
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import { describeSuppression, type Suppression, suppressionKey } from '../../controls/controls.js';
import { admitPromotions, notePromotion, type PromotionRecord } from './blast-radius.js';
import { collect, type FleetState } from './fleet-state.js';
import {
  advisePlan,
  type FailoverStep,
  type HostFailoverRecord,
  holdResourceFailover,
  hostEvent,
  hostFailoverId,
  isFailoverOpen,
  onFailoverResult,
  onFailoverTick,
  type PlanInput,
  planResourceFailover,
  type ResourceFailover,
  settleResource,
  snapshotOf,
  usableShadow,
} from './host-failover.js';
import { isActive, isTerminal, markPromoted, replaceShadow, retire } from './lifecycle.js';
import type { PlacementRunner } from './placement-runner.js';
import { shadowPriority } from './priority.js';
import { resourceFailoverId, resourceFailureIgnored } from './resource-failure.js';
import type { HostView, ShadowRecord } from './types.js';

const PROMOTIONS_KEY = 'promotions';

export class HostFailoverRunner {
  constructor(
    private readonly fleet: FleetState,
    private readonly placement: PlacementRunner,
  ) {}

  /** A host failed: fail over every resource on it and re-home the shadows it held. */
  async onHostFailure(failure: HostFailure, now: number, detectedHere: boolean): Promise<void> {
    if (failure.resourceId) return this.onResourceFailure(failure, now);
    const { fleet } = this;
    const opts = fleet.opts;
    const hostId = failure.host;
    const view = await fleet.view(hostId);
    if (view.failedAt !== null) return; // already failing over; duplicates and echoes act once
    const failoverId = hostFailoverId(hostId, failure.timestamp);
    if (await fleet.hostFailovers.get(failoverId)) return;
    const suppressed = await fleet.suppression({ host: hostId, region: failure.region || view.host?.region || '' });
    if (suppressed) {
      this.suppress(failure, view, failoverId, suppressed, now);
      return;
    }
    fleet.putHost(hostId, { ...view, failedAt: failure.timestamp });
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

    const plans: { id: string; region: string; priority: number; input: PlanInput; step: FailoverStep }[] = [];
    for (const { d, priority } of ranked) {
      const shadow = await fleet.shadows.get(d.resourceId);
      const currentEpoch = await fleet.epochOf(d.resourceId);
      const usable = usableShadow(shadow, hostId, opts);
      const standardTarget = usable ? undefined : await this.placement.placeStandard(d);
      const input: PlanInput = {
        failoverId,
        detectedAt: now,
        now,
        resource: snapshotOf(d, priority),
        shadow,
        currentEpoch,
        standardTarget,
      };
      plans.push({ id: d.resourceId, region: d.region, priority, input, step: planResourceFailover(input, opts) });
      if (shadow && !usable && !isTerminal(shadow.state)) {
        fleet.apply(retire(shadow, now, 'primary failed before the shadow was ready'), now);
      }
    }
    // Only plans that act (send commands) spend the blast-radius budget.
    const admission = await this.admit(plans.filter((p) => p.step.commands.length > 0));
    const held = new Map(admission.held.map((h) => [h.entry.id, h.reason]));
    for (const p of plans) {
      const reason = held.get(p.id);
      const step =
        reason !== undefined
          ? holdResourceFailover(p.input, reason)
          : fleet.advising
            ? advisePlan(p.step, now, opts)
            : p.step;
      hostRecord = (await this.applyStep(step, hostRecord, now)) ?? hostRecord;
    }
    if (ranked.length === 0) {
      hostRecord = { ...hostRecord, completed: true };
      // An empty host's COMPLETED claims nothing was moved: true in either mode.
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

  /** One resource failed, not its host: that resource alone fails over; the host stays eligible. */
  private async onResourceFailure(failure: HostFailure, now: number): Promise<void> {
    const { fleet } = this;
    const id = failure.resourceId;
    const failoverId = resourceFailoverId(failure);
    if (await fleet.hostFailovers.get(failoverId)) return; // a redelivered record acts once
    const d = await fleet.deployments.get(id);
    const record: HostFailoverRecord = {
      failoverId,
      host: failure.host,
      region: failure.region || d?.region || '',
      detectedAt: now,
      kind: failure.kind,
      resources: [id],
      done: [],
      failed: [],
      completed: false,
    };
    const ignored = resourceFailureIgnored(
      failure,
      d,
      await fleet.resourceFailovers.get(id),
      (await fleet.view(failure.host)).failedAt,
    );
    if (ignored !== undefined || !d) {
      fleet.emitEvent(
        hostEvent(record, 'FAILURE_IGNORED', now, { resourceId: id, detail: `${failure.source}: ${ignored}` }),
      );
      return;
    }
    fleet.emitEvent(
      hostEvent(record, 'DETECTED', now, {
        resourceId: id,
        detail: `${failure.kind} of ${id} from ${failure.source}${failure.detail ? `; ${failure.detail}` : ''}`,
      }),
    );
    const shadow = await fleet.shadows.get(id);
    const usable = usableShadow(shadow, d.host, fleet.opts);
    const step = planResourceFailover(
      {
        failoverId,
        detectedAt: now,
        now,
        resource: snapshotOf(d, shadow?.priority ?? 0),
        shadow,
        currentEpoch: await fleet.epochOf(id),
        standardTarget: usable ? undefined : await this.placement.placeStandard(d),
      },
      fleet.opts,
    );
    if (shadow && !usable && !isTerminal(shadow.state)) {
      fleet.apply(retire(shadow, now, 'primary failed before the shadow was ready'), now);
    }
    fleet.hostFailovers.put(failoverId, (await this.applyStep(step, record, now)) ?? record);
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
    const planned = planResourceFailover(
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
    const step = fleet.advising ? advisePlan(planned, now, fleet.opts) : planned;
    // An operator's promotion is never held, but it counts against the limit for automatic ones.
    if (step.commands.length > 0) await this.notePromotion(d.region);
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

  /** Retries or fails the steps whose result did not come back in time; releases held ones the limit allows. */
  async tick(now: number): Promise<void> {
    const all = await collect(this.fleet.resourceFailovers.all());
    for (const f of all) {
      const step = onFailoverTick(f, now, this.fleet.opts);
      if (step.failover === f) continue;
      await this.settle(step, now);
    }
    await this.releaseHeld(
      all.filter((f) => f.phase === 'HELD'),
      now,
    );
  }

  /**
   * Held failovers, highest priority first, as far as the sliding minute allows: each is planned
   * afresh (its shadow may have become ready, or gone, while it waited). A pause keeps them held.
   */
  private async releaseHeld(held: ResourceFailover[], now: number): Promise<void> {
    const { fleet } = this;
    if (held.length === 0 || (await fleet.controlBook()).pause !== null) return;
    const admission = await this.admit(
      held.map((f) => ({ id: f.resource.resourceId, region: f.resource.region, priority: f.resource.priority, f })),
    );
    for (const { f } of admission.admitted) {
      const id = f.resource.resourceId;
      const shadow = await fleet.shadows.get(id);
      const usable = usableShadow(shadow, f.resource.primaryHost, fleet.opts);
      const d = await fleet.deployments.get(id);
      const standardTarget = usable || !d ? undefined : await this.placement.placeStandard(d);
      const planned = planResourceFailover(
        {
          failoverId: f.failoverId,
          detectedAt: f.detectedAt,
          now,
          resource: f.resource,
          shadow,
          currentEpoch: await fleet.epochOf(id),
          standardTarget,
        },
        fleet.opts,
      );
      const step = fleet.advising ? advisePlan(planned, now, fleet.opts) : planned;
      const released = hostEvent(
        { failoverId: f.failoverId, host: f.resource.primaryHost, detectedAt: f.detectedAt },
        'PROMOTION_RELEASED',
        now,
        { resourceId: id, detail: `held ${Math.max(0, now - f.phaseSince)} ms by the blast-radius limit` },
      );
      await this.settle({ ...step, events: [released, ...step.events] }, now);
    }
  }

  /** Admits failover actions under the blast-radius limit (wall clock) and records the admitted ones. */
  private async admit<E extends { id: string; region: string; priority: number }>(candidates: E[]) {
    const { fleet } = this;
    const log = (await fleet.meta.get(PROMOTIONS_KEY))?.promotions ?? [];
    const admission = admitPromotions(candidates, log, fleet.ctx.wallClockTime(), fleet.opts);
    if (admission.admitted.length > 0) fleet.meta.put(PROMOTIONS_KEY, { promotions: admission.log });
    return admission;
  }

  private async notePromotion(region: string): Promise<void> {
    const { fleet } = this;
    const log: PromotionRecord[] = (await fleet.meta.get(PROMOTIONS_KEY))?.promotions ?? [];
    fleet.meta.put(PROMOTIONS_KEY, { promotions: notePromotion(log, region, fleet.ctx.wallClockTime()) });
  }

  /**
   * A failure the controls do not let the manager act on: reported once per host and control
   * episode (a silent host under a pause is detected on every round), and not marked failed, so
   * the host is judged afresh once the control ends — heartbeat loss then fails it over if it is
   * still silent.
   */
  private suppress(failure: HostFailure, view: HostView, failoverId: string, s: Suppression, now: number): void {
    const { fleet } = this;
    const key = suppressionKey(s);
    if (view.suppressedBy === key) return;
    fleet.putHost(failure.host, { ...view, suppressedBy: key });
    fleet.emitEvent(
      hostEvent({ failoverId, host: failure.host, detectedAt: now }, 'FAILOVER_SUPPRESSED', now, {
        detail: `${failure.kind} from ${failure.source} not failed over: ${describeSuppression(s)}`,
      }),
    );
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
    const advisory = f.advisory === true;
    fleet.resourceFailovers.put(id, f);
    // The epoch is taken the moment a command carries it, so no later decision can reuse it; a
    // recommendation takes none (nothing that carries it reaches an actuator).
    if (step.commands.length > 0 && !advisory) fleet.epochs.put(id, f.epoch);
    fleet.sendCommands(step.commands, now);
    for (const e of step.events) fleet.emitEvent(e);
    const promoted = advisory ? f.phase === 'DONE' : step.events.some((e) => e.step === 'SHADOW_PROMOTED');
    if (f.mode === 'SHADOW' && promoted) {
      const s = await fleet.shadows.get(id);
      if (s && s.state !== 'PROMOTED') {
        const reason = advisory ? `promotion recommended (${f.failoverId})` : `promoted (${f.failoverId})`;
        fleet.saveShadow(markPromoted(s, now, f.epoch, reason), now, true);
      }
    }
    if (!hostRecord) return null;
    const settled = settleResource(hostRecord, f, now);
    for (const e of settled.events) fleet.emitEvent(advisory ? { ...e, advisory } : e);
    return settled.host;
  }
}
