/**
 * Shadow manager (seed 000): decides which resources get passive shadows, where, and when they are
 * retired or promoted; runs host failovers.
 *
 * Inputs (one merged stream, see below): health.risk, hosts, deployments, host.failures,
 * actuation.results (shadow command types only), operator.requests (shadow request types only).
 * Outputs (children): shadow.commands, shadow.state (compacted projection), failover.events (scope
 * HOST), host.failures (only heartbeat-loss detections, so the failure becomes a model label too).
 *
 * Why one partition: the budget, the rate limit and placement are fleet-wide decisions (a shadow on
 * host B consumes capacity that another shadow must not also count on), and epochs need a single
 * writer. So the topology (`topology.ts`) wraps every input record in a `FleetInput` envelope and
 * re-keys it onto the constant key `fleet` through a one-partition repartition topic; this processor
 * then sees the whole fleet, in order, in one task whose stores hold the complete view. Volume is
 * one risk record per host per interval plus table updates and results: thousands per second
 * at most, well within one task. Fail-over of the task itself is the runtime's (changelogged stores).
 *
 * Stores: shadows (resourceId → ShadowRecord), hosts (host → HostView), deployments (resourceId →
 * Deployment), epochs (resourceId → epoch), resource and host failovers, requests (operator request
 * ids already acted on), meta (rate bucket).
 *
 * Time: decisions in `process` use event time (max of the record timestamp and stream time); the
 * wall-clock punctuator (`tickMs`) drives timeouts, retries, sync polls, retirement, queue draining
 * and heartbeat-loss detection, which must fire even when no record arrives.
 */

import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { FailoverEvent } from '../../../schemas/records/failover-event.js';
import type { Host } from '../../../schemas/records/host.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { HostRisk } from '../../../schemas/records/host-risk.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import {
  SHADOW_COMMAND_TYPES,
  type ShadowCommand,
  type ShadowCommandType,
} from '../../../schemas/records/shadow-command.js';
import type { ShadowState } from '../../../schemas/records/shadow-state.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore } from '../../state/store.js';
import { heartbeatLost } from '../failover-orchestrator/heartbeat.js';
import {
  type FailoverStep,
  type HostFailoverRecord,
  hostEvent,
  hostFailoverId,
  isFailoverOpen,
  onFailoverResult,
  onFailoverTick,
  planResourceFailover,
  type ResourceFailover,
  settleResource,
  snapshotOf,
  usableShadow,
} from '../failover-orchestrator/host-failover.js';
import { admit, fullBucket, type QueueEntry, type RateBucket, refill } from './budget.js';
import {
  isActive,
  isTerminal,
  markPromoted,
  newShadowRecord,
  onResult,
  onTick,
  replaceShadow,
  requestShadow,
  retire,
  type Transition,
  toShadowState,
} from './lifecycle.js';
import { type ShadowManagerOptions, shadowManagerOptions } from './options.js';
import { choosePlacement, type HostCandidate, type PlacementRequest, recentFailures } from './placement.js';
import { nextCalmSince, riskSubsided, shadowPriority, shouldShadow } from './priority.js';
import { retirementDue } from './retirement.js';
import type { ShadowRecord } from './types.js';

export const SHADOW_MANAGER_APPLICATION_ID = 'foreshadow-shadow-manager';
export const FLEET_KEY = 'fleet';

export const SHADOWS_STORE = 'shadow-manager-shadows';
export const HOSTS_STORE = 'shadow-manager-hosts';
export const DEPLOYMENTS_STORE = 'shadow-manager-deployments';
export const EPOCHS_STORE = 'shadow-manager-epochs';
export const RESOURCE_FAILOVERS_STORE = 'shadow-manager-resource-failovers';
export const HOST_FAILOVERS_STORE = 'shadow-manager-host-failovers';
export const REQUESTS_STORE = 'shadow-manager-requests';
export const META_STORE = 'shadow-manager-meta';

export const SHADOW_MANAGER_STORES = [
  SHADOWS_STORE,
  HOSTS_STORE,
  DEPLOYMENTS_STORE,
  EPOCHS_STORE,
  RESOURCE_FAILOVERS_STORE,
  HOST_FAILOVERS_STORE,
  REQUESTS_STORE,
  META_STORE,
] as const;

/** Child (sink) names the processor forwards to. */
export const SHADOW_COMMANDS_CHILD = 'shadow-commands-out';
export const SHADOW_STATE_CHILD = 'shadow-state-out';
export const FAILOVER_EVENTS_CHILD = 'failover-events-out';
export const HOST_FAILURES_CHILD = 'host-failures-out';

/** Every input, wrapped so one processor can read six topics through one repartition topic. */
export type FleetInput =
  | { type: 'RISK'; risk: HostRisk }
  | { type: 'HOST'; hostId: string; host: Host | null }
  | { type: 'DEPLOYMENT'; resourceId: string; deployment: Deployment | null }
  | { type: 'FAILURE'; failure: HostFailure }
  | { type: 'RESULT'; result: ActuationResult }
  | { type: 'REQUEST'; request: OperatorRequest };

export interface HostView {
  hostId: string;
  host: Host | null;
  risk: HostRisk | null;
  /** Wall-clock arrival of the latest risk record (heartbeat). */
  lastSeenAt: number | null;
  calmSince: number | null;
  failedAt: number | null;
  deployFailures: number[];
}

export interface MetaRecord {
  bucket: RateBucket;
}

/** What the manager forwards; null is a shadow.state tombstone (a removed resource's shadow). */
type ShadowOutput = ShadowCommand | ShadowState | FailoverEvent | HostFailure | null;

/** Operator-requested shadows outrank every predicted non-imminent one, but not imminent ones. */
const OPERATOR_PRIORITY_FLOOR = 1.5;
const RATE_KEY = 'rate';

function emptyView(hostId: string): HostView {
  return { hostId, host: null, risk: null, lastSeenAt: null, calmSince: null, failedAt: null, deployFailures: [] };
}

async function collect<K, V>(it: AsyncIterableIterator<{ key: K; value: V }>): Promise<V[]> {
  const out: V[] = [];
  for await (const kv of it) out.push(kv.value);
  return out;
}

function consumesCapacity(d: Deployment): boolean {
  return d.outcome === 'SUCCEEDED' || d.outcome === 'PENDING';
}

export class ShadowManagerProcessor implements Processor<string, FleetInput, string, ShadowOutput> {
  private readonly opts: ShadowManagerOptions;
  private ctx!: ProcessorContext<string, ShadowOutput>;
  private shadows!: KeyValueStore<string, ShadowRecord>;
  private hosts!: KeyValueStore<string, HostView>;
  private deployments!: KeyValueStore<string, Deployment>;
  private epochs!: KeyValueStore<string, number>;
  private resourceFailovers!: KeyValueStore<string, ResourceFailover>;
  private hostFailovers!: KeyValueStore<string, HostFailoverRecord>;
  private requests!: KeyValueStore<string, number>;
  private meta!: KeyValueStore<string, MetaRecord>;
  private startedAt = 0;
  /** Set when a record may have changed what the queue can admit; the tick drains regardless. */
  private queueDirty = true;

  constructor(options: Partial<ShadowManagerOptions> = {}) {
    this.opts = shadowManagerOptions(options);
  }

  init(ctx: ProcessorContext<string, ShadowOutput>): void {
    this.ctx = ctx;
    this.shadows = ctx.getKeyValueStore(SHADOWS_STORE);
    this.hosts = ctx.getKeyValueStore(HOSTS_STORE);
    this.deployments = ctx.getKeyValueStore(DEPLOYMENTS_STORE);
    this.epochs = ctx.getKeyValueStore(EPOCHS_STORE);
    this.resourceFailovers = ctx.getKeyValueStore(RESOURCE_FAILOVERS_STORE);
    this.hostFailovers = ctx.getKeyValueStore(HOST_FAILOVERS_STORE);
    this.requests = ctx.getKeyValueStore(REQUESTS_STORE);
    this.meta = ctx.getKeyValueStore(META_STORE);
    this.startedAt = ctx.wallClockTime();
    ctx.schedule(this.opts.tickMs, 'wall-clock', (ts) => this.tick(ts));
  }

  async process(record: StreamRecord<string, FleetInput>): Promise<void> {
    const now = Math.max(record.timestamp, this.ctx.streamTime());
    const input = record.value;
    switch (input.type) {
      case 'RISK':
        await this.onRisk(input.risk, now);
        break;
      case 'HOST':
        await this.onHost(input.hostId, input.host);
        break;
      case 'DEPLOYMENT':
        await this.onDeployment(input.resourceId, input.deployment, now);
        break;
      case 'FAILURE':
        await this.onHostFailure(input.failure, now, false);
        break;
      case 'RESULT':
        await this.onResult(input.result, now);
        break;
      case 'REQUEST':
        await this.onRequest(input.request, now);
        break;
    }
    // Most records are routine risk updates that change no shadow: skip the fleet scan for them.
    if (this.queueDirty || input.type === 'HOST' || input.type === 'DEPLOYMENT') await this.drainQueue(now);
  }

  // ---- inputs -------------------------------------------------------------------------------

  private async onRisk(risk: HostRisk, now: number): Promise<void> {
    const view = (await this.hosts.get(risk.host)) ?? emptyView(risk.host);
    const updated: HostView = {
      ...view,
      risk,
      lastSeenAt: this.ctx.wallClockTime(),
      calmSince: nextCalmSince(view.calmSince, risk, now, this.opts),
    };
    this.hosts.put(risk.host, updated);
    if (updated.failedAt !== null) return;
    if (shouldShadow(risk, this.opts)) {
      for (const d of await this.deploymentsOn(risk.host)) {
        const priority = shadowPriority(
          { tier: d.tier, pFail: risk.pFail, timeToFailureMs: risk.timeToFailureMs, horizonMs: risk.horizonMs },
          this.opts.imminentPFail,
        );
        const existing = await this.shadows.get(d.resourceId);
        const coolingDown = existing?.state === 'FAILED' && now - existing.updatedAt < this.opts.failedCooldownMs;
        if (
          !existing ||
          (isTerminal(existing.state) &&
            !coolingDown &&
            !(existing.state === 'PROMOTED' && existing.primaryHost === d.host))
        ) {
          const epoch = (await this.epochs.get(d.resourceId)) ?? 0;
          this.saveShadow(newShadowRecord(d, priority, 'PREDICTED', epoch, now, existing), now, true);
        } else if (!isTerminal(existing.state) && existing.origin === 'PREDICTED' && existing.priority !== priority) {
          // Dynamic weighting: a queued shadow moves up as its host's outlook worsens.
          this.saveShadow({ ...existing, priority }, now, existing.state === 'QUEUED');
        }
      }
    } else if (riskSubsided(risk, this.opts)) {
      // Nothing was spent on a queued shadow yet, so it leaves the queue at once when risk subsides.
      for (const s of await this.shadowsWhere(
        (s) => s.primaryHost === risk.host && s.state === 'QUEUED' && s.origin === 'PREDICTED',
      )) {
        this.apply(retire(s, now, 'risk subsided before the shadow was placed'), now);
      }
    }
  }

  private async onHost(hostId: string, host: Host | null): Promise<void> {
    const view = (await this.hosts.get(hostId)) ?? emptyView(hostId);
    // A host declared failed comes back only through an explicit UP record written after the failure.
    const back = host !== null && host.state === 'UP' && view.failedAt !== null && host.updatedAt > view.failedAt;
    this.hosts.put(hostId, {
      ...view,
      host,
      failedAt: back ? null : view.failedAt,
      lastSeenAt: back ? null : view.lastSeenAt,
    });
  }

  private async onDeployment(resourceId: string, d: Deployment | null, now: number): Promise<void> {
    if (d === null || d.outcome === 'REMOVED') {
      this.deployments.delete(resourceId);
      const s = await this.shadows.get(resourceId);
      if (s) {
        // A live shadow is retired (its RETIRE command still goes out), then forgotten.
        this.apply(retire(s, now, 'resource removed'), now);
        this.shadows.delete(resourceId);
        this.queueDirty = true;
      }
      // A tombstone on shadow.state, so views of it (the API, dashboards, compaction) stop listing
      // a resource that no longer exists. Sent even when this instance knows no shadow of it: one
      // may have been published by an earlier deployment of the manager (another application id).
      // Its epoch is kept: fencing never reuses one.
      this.ctx.forward(new StreamRecord(resourceId, null, now), SHADOW_STATE_CHILD);
      return;
    }
    const previous = await this.deployments.get(resourceId);
    this.deployments.put(resourceId, d);
    if (d.outcome === 'FAILED' && previous?.deployedAt !== d.deployedAt) {
      const view = (await this.hosts.get(d.host)) ?? emptyView(d.host);
      const window = this.opts.deployFailureWindowMs;
      const failures = [...view.deployFailures.filter((t) => t > now - window), d.deployedAt].slice(-50);
      this.hosts.put(d.host, { ...view, deployFailures: failures });
    }
    const s = await this.shadows.get(resourceId);
    if (s && !isTerminal(s.state) && s.primaryHost !== d.host) {
      this.apply(retire(s, now, `primary moved to ${d.host}`), now);
    }
  }

  private async onHostFailure(failure: HostFailure, now: number, detectedHere: boolean): Promise<void> {
    const hostId = failure.host;
    const view = (await this.hosts.get(hostId)) ?? emptyView(hostId);
    if (view.failedAt !== null) return; // already failing over; duplicates and echoes act once
    const failoverId = hostFailoverId(hostId, failure.timestamp);
    if (await this.hostFailovers.get(failoverId)) return;
    this.hosts.put(hostId, { ...view, failedAt: failure.timestamp });
    if (detectedHere) this.ctx.forward(new StreamRecord(hostId, failure, now), HOST_FAILURES_CHILD);

    const resources = await this.deploymentsOn(hostId);
    const risk = view.risk;
    const ranked = resources
      .map((d) => ({
        d,
        priority: shadowPriority(
          { tier: d.tier, pFail: 1, timeToFailureMs: 0, horizonMs: risk?.horizonMs ?? 1 },
          this.opts.imminentPFail,
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
    this.emitEvent(
      hostEvent(hostRecord, 'DETECTED', now, {
        detail: `${failure.kind} from ${failure.source}; ${ranked.length} resource(s)${failure.detail ? `; ${failure.detail}` : ''}`,
      }),
    );

    for (const { d, priority } of ranked) {
      const shadow = await this.shadows.get(d.resourceId);
      const currentEpoch = (await this.epochs.get(d.resourceId)) ?? 0;
      const usable = usableShadow(shadow, hostId, this.opts);
      const standardTarget = usable ? undefined : await this.placeStandard(d);
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
        this.opts,
      );
      if (shadow && !usable && !isTerminal(shadow.state)) {
        this.apply(retire(shadow, now, 'primary failed before the shadow was ready'), now);
      }
      hostRecord = (await this.applyFailover(step, hostRecord, now)) ?? hostRecord;
    }
    if (ranked.length === 0) {
      hostRecord = { ...hostRecord, completed: true };
      this.emitEvent(hostEvent(hostRecord, 'COMPLETED', now, { detail: 'no resources on host' }));
    }
    this.hostFailovers.put(failoverId, hostRecord);

    // Shadows that lived on the failed host are gone: find them another home.
    for (const s of await this.shadowsWhere((s) => s.shadowHost === hostId && isActive(s.state))) {
      const excluded = s.excludedHosts.includes(hostId) ? s.excludedHosts : [...s.excludedHosts, hostId];
      const target = await this.place({ ...s, excludedHosts: excluded });
      this.apply(
        replaceShadow(
          { ...s, excludedHosts: excluded, reason: `shadow host ${hostId} failed` },
          target,
          now,
          this.opts,
        ),
        now,
      );
    }
  }

  private async onResult(res: ActuationResult, now: number): Promise<void> {
    if (!SHADOW_COMMAND_TYPES.includes(res.commandType as ShadowCommandType)) return;
    const type = res.commandType as ShadowCommandType;
    if (type === 'CREATE' || type === 'REPORT_SYNC' || type === 'RETIRE') {
      const s = await this.shadows.get(res.subject);
      if (!s) return;
      let t = onResult(s, res, now, this.opts);
      if (t.needsPlacement) t = await this.withReplacement(t, now);
      this.apply(t, now);
      return;
    }
    const f = await this.resourceFailovers.get(res.subject);
    if (!f) return;
    const step = onFailoverResult(f, res, now, this.opts);
    if (step.failover === f) return;
    const hostRecord = await this.hostFailovers.get(f.failoverId);
    const settled = await this.applyFailover(step, hostRecord ?? null, now);
    if (hostRecord && settled) this.hostFailovers.put(f.failoverId, settled);
  }

  private async onRequest(req: OperatorRequest, now: number): Promise<void> {
    if (req.type === 'REGION_FAILOVER') return;
    if (await this.requests.get(req.requestId)) return; // an operator call acts once, however often delivered
    this.requests.put(req.requestId, now);
    const d = await this.deployments.get(req.subject);
    const existing = await this.shadows.get(req.subject);
    if (req.type === 'CREATE_SHADOW') {
      if (!d || (existing && !isTerminal(existing.state))) return;
      const risk = (await this.hosts.get(d.host))?.risk;
      const computed = shadowPriority(
        {
          tier: d.tier,
          pFail: risk?.pFail ?? 0,
          timeToFailureMs: risk?.timeToFailureMs ?? null,
          horizonMs: risk?.horizonMs ?? 3_600_000,
        },
        this.opts.imminentPFail,
      );
      const epoch = (await this.epochs.get(d.resourceId)) ?? 0;
      const record = newShadowRecord(d, Math.max(computed, OPERATOR_PRIORITY_FLOOR), 'OPERATOR', epoch, now, existing);
      this.saveShadow({ ...record, preferredHost: req.targetHost, reason: `requested by ${req.principal}` }, now, true);
      return;
    }
    if (req.type === 'RETIRE_SHADOW') {
      if (existing) this.apply(retire(existing, now, `retired by ${req.principal}`), now);
      return;
    }
    // PROMOTE_SHADOW: a planned switchover; the same plan as a failover, without a failed host.
    if (!d) return;
    const failoverId = `op:${req.requestId}`;
    const open = await this.resourceFailovers.get(d.resourceId);
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
    if (!existing || (open && isFailoverOpen(open)) || !usableShadow(existing, d.host, this.opts)) {
      const why =
        open && isFailoverOpen(open)
          ? `failover ${open.failoverId} in progress`
          : `no ready shadow (state ${existing?.state ?? 'none'})`;
      this.emitEvent(
        hostEvent(hostRecord, 'PROMOTION_REFUSED', now, {
          resourceId: d.resourceId,
          detail: `requested by ${req.principal}: ${why}`,
        }),
      );
      return;
    }
    this.emitEvent(
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
        currentEpoch: (await this.epochs.get(d.resourceId)) ?? 0,
        standardTarget: undefined,
      },
      this.opts,
    );
    this.hostFailovers.put(failoverId, (await this.applyFailover(step, hostRecord, now)) ?? hostRecord);
  }

  // ---- wall-clock housekeeping -------------------------------------------------------------

  private async tick(now: number): Promise<void> {
    const views = await collect(this.hosts.all());
    const calm = new Map(views.map((v) => [v.hostId, v.calmSince]));
    for (const s of await collect(this.shadows.all())) {
      if (retirementDue(s, calm.get(s.primaryHost) ?? null, now, this.opts)) {
        this.apply(retire(s, now, `idle for ${this.opts.idleTtlMs} ms after risk subsided`), now);
        continue;
      }
      let t = onTick(s, now, this.opts);
      if (t.needsPlacement) t = await this.withReplacement(t, now);
      if (t.record !== s) this.apply(t, now);
    }
    for (const f of await collect(this.resourceFailovers.all())) {
      const step = onFailoverTick(f, now, this.opts);
      if (step.failover === f) continue;
      const hostRecord = await this.hostFailovers.get(f.failoverId);
      const settled = await this.applyFailover(step, hostRecord ?? null, now);
      if (hostRecord && settled) this.hostFailovers.put(f.failoverId, settled);
    }
    for (const v of views) {
      if (v.host !== null && v.host.state !== 'UP') continue; // drained or in maintenance: silence is expected
      if (heartbeatLost(v, now, this.startedAt, this.opts)) {
        const silentFor = now - (v.lastSeenAt ?? now);
        await this.onHostFailure(
          {
            host: v.hostId,
            region: v.host?.region ?? v.risk?.region ?? '',
            timestamp: now,
            kind: 'HEARTBEAT_LOST',
            source: SHADOW_MANAGER_APPLICATION_ID,
            detail: `no risk record for ${silentFor} ms`,
          },
          now,
          true,
        );
      }
    }
    await this.drainQueue(now);
  }

  // ---- budget, queue and placement ---------------------------------------------------------

  private async drainQueue(now: number): Promise<void> {
    const all = await collect(this.shadows.all());
    const queued = all.filter((s) => s.state === 'QUEUED');
    if (queued.length === 0) {
      this.queueDirty = false;
      return;
    }
    const active = all.filter((s) => isActive(s.state));
    const hostViews = await collect(this.hosts.all());
    const fleetCpu = hostViews.reduce(
      (sum, v) => sum + (v.host && v.host.state === 'UP' && v.failedAt === null ? v.host.cpuCores : 0),
      0,
    );
    const meta = await this.meta.get(RATE_KEY);
    const bucket = refill(meta?.bucket ?? fullBucket(this.opts, now), now, this.opts);
    const entries: (QueueEntry & { record: ShadowRecord })[] = queued.map((s) => ({
      resourceId: s.resourceId,
      priority: s.priority,
      enqueuedAt: s.enqueuedAt,
      cpu: s.cpu,
      record: s,
    }));
    const admission = admit(
      entries,
      { activeShadows: active.length, reservedCpu: active.reduce((sum, s) => sum + s.cpu, 0), fleetCpu },
      bucket,
      this.opts,
    );
    let tokens = admission.bucket.tokens;
    // The fleet scan is only worth doing when something may actually be placed.
    const candidates = admission.admitted.length > 0 ? await this.candidates(all) : new Map<string, HostCandidate>();
    for (const entry of admission.admitted) {
      const target = this.choose(entry.record, candidates);
      if (!target) {
        tokens += 1; // nothing was created, so the token is not spent
        this.noteWaiting(entry.record, 'waiting for an eligible host', now);
        continue;
      }
      reserve(candidates, target.host, entry.record);
      this.apply(requestShadow(entry.record, target, now, `placed on ${target.host} (${entry.record.reason})`), now);
    }
    for (const { entry, reason } of admission.deferred) {
      this.noteWaiting(entry.record, `deferred by budget: ${reason}`, now);
    }
    this.meta.put(RATE_KEY, { bucket: { tokens, refilledAt: admission.bucket.refilledAt } });
    // Everything this drain changed it has already accounted for.
    this.queueDirty = false;
  }

  private noteWaiting(r: ShadowRecord, reason: string, now: number): void {
    if (r.reason === reason) return;
    this.saveShadow({ ...r, reason, updatedAt: now }, now, true);
  }

  private async candidates(shadows?: ShadowRecord[]): Promise<Map<string, HostCandidate>> {
    const now = this.ctx.streamTime();
    const map = new Map<string, HostCandidate>();
    for (const v of await collect(this.hosts.all())) {
      if (!v.host) continue;
      map.set(v.hostId, {
        host: v.host,
        pFail: v.risk?.pFail ?? 0,
        failed: v.failedAt !== null,
        usedCpu: 0,
        usedMemoryMb: 0,
        recentDeployFailures: recentFailures(v.deployFailures, now, this.opts.deployFailureWindowMs),
      });
    }
    for (const d of await collect(this.deployments.all())) {
      const c = map.get(d.host);
      if (c && consumesCapacity(d)) {
        c.usedCpu += d.cpu;
        c.usedMemoryMb += d.memoryMb;
      }
    }
    for (const s of shadows ?? (await collect(this.shadows.all()))) {
      if (isActive(s.state)) {
        const c = map.get(s.shadowHost);
        if (c) {
          c.usedCpu += s.cpu;
          c.usedMemoryMb += s.memoryMb;
        }
      }
    }
    return map;
  }

  private request(
    r: Pick<
      ShadowRecord,
      'resourceId' | 'region' | 'zone' | 'rack' | 'cpu' | 'memoryMb' | 'primaryHost' | 'excludedHosts' | 'shadowHost'
    >,
  ): PlacementRequest {
    const exclude = [r.primaryHost, ...r.excludedHosts];
    if (r.shadowHost) exclude.push(r.shadowHost);
    return {
      resourceId: r.resourceId,
      region: r.region,
      zone: r.zone,
      rack: r.rack,
      cpu: r.cpu,
      memoryMb: r.memoryMb,
      excludeHosts: exclude,
    };
  }

  private choose(r: ShadowRecord, candidates: Map<string, HostCandidate>): { host: string } | undefined {
    const req = this.request(r);
    const list = [...candidates.values()];
    if (r.preferredHost) {
      const preferred = choosePlacement(
        req,
        list.filter((c) => c.host.host === r.preferredHost),
        this.opts,
      );
      if (preferred) return { host: preferred.host.host };
    }
    const best = choosePlacement(req, list, this.opts);
    return best ? { host: best.host.host } : undefined;
  }

  private async place(r: ShadowRecord): Promise<{ host: string } | undefined> {
    return this.choose(r, await this.candidates());
  }

  private async placeStandard(d: Deployment): Promise<{ host: string; address: string } | undefined> {
    const candidates = await this.candidates();
    const best = choosePlacement(
      {
        resourceId: d.resourceId,
        region: d.region,
        zone: d.zone,
        rack: d.rack,
        cpu: d.cpu,
        memoryMb: d.memoryMb,
        excludeHosts: [d.host],
      },
      [...candidates.values()],
      this.opts,
    );
    return best ? { host: best.host.host, address: best.host.address } : undefined;
  }

  private async withReplacement(t: Transition, now: number): Promise<Transition> {
    const target = await this.place(t.record);
    const next = replaceShadow(t.record, target, now, this.opts);
    return { record: next.record, commands: [...t.commands, ...next.commands], needsPlacement: false };
  }

  // ---- output --------------------------------------------------------------------------------

  private apply(t: Transition, now: number): void {
    for (const c of t.commands) this.ctx.forward(new StreamRecord(c.resourceId, c, now), SHADOW_COMMANDS_CHILD);
    this.saveShadow(t.record, now, true);
  }

  private saveShadow(r: ShadowRecord, now: number, publish: boolean): void {
    this.shadows.put(r.resourceId, r);
    this.queueDirty = true;
    if (publish) this.ctx.forward(new StreamRecord(r.resourceId, toShadowState(r), now), SHADOW_STATE_CHILD);
  }

  private emitEvent(e: FailoverEvent): void {
    this.ctx.forward(new StreamRecord(e.subject, e, e.timestamp), FAILOVER_EVENTS_CHILD);
  }

  /** Emits a failover step, keeps epochs and shadow states in line, and folds it into its host failover. */
  private async applyFailover(
    step: FailoverStep,
    hostRecord: HostFailoverRecord | null,
    now: number,
  ): Promise<HostFailoverRecord | null> {
    const f = step.failover;
    const id = f.resource.resourceId;
    this.resourceFailovers.put(id, f);
    // The epoch is taken the moment a command carries it, so no later decision can reuse it.
    if (step.commands.length > 0) this.epochs.put(id, f.epoch);
    for (const c of step.commands) this.ctx.forward(new StreamRecord(c.resourceId, c, now), SHADOW_COMMANDS_CHILD);
    for (const e of step.events) this.emitEvent(e);
    if (f.mode === 'SHADOW' && step.events.some((e) => e.step === 'SHADOW_PROMOTED')) {
      const s = await this.shadows.get(id);
      if (s && s.state !== 'PROMOTED')
        this.saveShadow(markPromoted(s, now, f.epoch, `promoted (${f.failoverId})`), now, true);
    }
    if (!hostRecord) return null;
    const settled = settleResource(hostRecord, f, now);
    for (const e of settled.events) this.emitEvent(e);
    return settled.host;
  }

  private async deploymentsOn(hostId: string): Promise<Deployment[]> {
    const all = await collect(this.deployments.all());
    return all.filter((d) => d.host === hostId && consumesCapacity(d));
  }

  private async shadowsWhere(pred: (s: ShadowRecord) => boolean): Promise<ShadowRecord[]> {
    return (await collect(this.shadows.all())).filter(pred);
  }
}

function reserve(candidates: Map<string, HostCandidate>, host: string, r: ShadowRecord): void {
  const c = candidates.get(host);
  if (c) {
    c.usedCpu += r.cpu;
    c.usedMemoryMb += r.memoryMb;
  }
}
