/**
 * Placement, with the fleet's state: drains the queue of shadows under the budget and the creation
 * rate (budget.ts), picks hosts (placement.ts) net of what deployments and other shadows already
 * reserve, and finds new homes for shadows (and standard deployments) that lost theirs.
 *
 * The safety controls hold the queue: while paused, a queued shadow stays queued, and so does one
 * whose primary host or region is in a maintenance window; its reason names the control, and the
 * next drain after the control ends places it. Hosts in a maintenance window are not placement
 * targets either. In advise mode a placed shadow is a recommendation (advisory).
 */
import type { Deployment } from '../../../schemas/records/deployment.js';
import { type ControlBook, describeSuppression, suppressionFor, windowCovers } from '../../controls/controls.js';
import { admit, fullBucket, type QueueEntry, refill } from './budget.js';
import { collect, type FleetState } from './fleet-state.js';
import { isActive, replaceShadow, requestShadow, type Transition } from './lifecycle.js';
import { choosePlacement, type HostCandidate, type PlacementRequest, recentFailures } from './placement.js';
import type { ShadowRecord } from './types.js';

const RATE_KEY = 'rate';

type PlacementFields = Pick<
  ShadowRecord,
  'resourceId' | 'region' | 'zone' | 'rack' | 'cpu' | 'memoryMb' | 'primaryHost' | 'excludedHosts' | 'shadowHost'
>;

function placementRequest(r: PlacementFields): PlacementRequest {
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

function reserve(candidates: Map<string, HostCandidate>, host: string, r: ShadowRecord): void {
  const c = candidates.get(host);
  if (c) {
    c.usedCpu += r.cpu;
    c.usedMemoryMb += r.memoryMb;
  }
}

export class PlacementRunner {
  constructor(private readonly fleet: FleetState) {}

  /** Admits queued shadows under the budget and the rate limit, and requests each on its best host. */
  async drainQueue(now: number): Promise<void> {
    const { fleet } = this;
    const opts = fleet.opts;
    const all = await collect(fleet.shadows.all());
    const book = await fleet.controlBook();
    const wallNow = fleet.ctx.wallClockTime();
    const queued: ShadowRecord[] = [];
    for (const s of all.filter((x) => x.state === 'QUEUED')) {
      const held = suppressionFor(book, { host: s.primaryHost, region: s.region }, wallNow);
      if (held) this.noteWaiting(s, `held: ${describeSuppression(held)}`, now);
      else queued.push(s);
    }
    if (queued.length === 0) {
      fleet.queueDirty = false;
      return;
    }
    const active = all.filter((s) => isActive(s.state));
    let fleetCpu = 0;
    for (const v of await fleet.hostViews()) {
      if (v.host && v.host.state === 'UP' && v.failedAt === null) fleetCpu += v.host.cpuCores;
    }
    const meta = await fleet.meta.get(RATE_KEY);
    const bucket = refill(meta?.bucket ?? fullBucket(opts, now), now, opts);
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
      opts,
    );
    let tokens = admission.bucket.tokens;
    // The fleet scan is only worth doing when something may actually be placed.
    const candidates =
      admission.admitted.length > 0 ? await this.candidates(all, book) : new Map<string, HostCandidate>();
    for (const entry of admission.admitted) {
      const target = this.choose(entry.record, candidates);
      if (!target) {
        tokens += 1; // nothing was created, so the token is not spent
        this.noteWaiting(entry.record, 'waiting for an eligible host', now);
        continue;
      }
      reserve(candidates, target.host, entry.record);
      if (fleet.advising) {
        // Recorded, not carried out: the CREATE goes out advisory and nothing waits for its result.
        const record = { ...entry.record, advisory: true };
        fleet.apply(
          requestShadow(record, target, now, `recommended on ${target.host}, advise mode (${record.reason})`),
          now,
        );
      } else {
        fleet.apply(requestShadow(entry.record, target, now, `placed on ${target.host} (${entry.record.reason})`), now);
      }
    }
    for (const { entry, reason } of admission.deferred) {
      this.noteWaiting(entry.record, `deferred by budget: ${reason}`, now);
    }
    fleet.meta.put(RATE_KEY, { bucket: { tokens, refilledAt: admission.bucket.refilledAt } });
    // Everything this drain changed it has already accounted for.
    fleet.queueDirty = false;
  }

  /** The best host for a shadow now, or none. */
  async place(r: ShadowRecord): Promise<{ host: string } | undefined> {
    return this.choose(r, await this.candidates());
  }

  /** The best host for a fresh standard deployment of a resource off its (failed) host. */
  async placeStandard(d: Deployment): Promise<{ host: string; address: string } | undefined> {
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
      this.fleet.opts,
    );
    return best ? { host: best.host.host, address: best.host.address } : undefined;
  }

  /** Completes a transition that gave up its placement with the next host (or FAILED without one). */
  async withReplacement(t: Transition, now: number): Promise<Transition> {
    const target = await this.place(t.record);
    const next = replaceShadow(t.record, target, now, this.fleet.opts);
    return { record: next.record, commands: [...t.commands, ...next.commands], needsPlacement: false };
  }

  private noteWaiting(r: ShadowRecord, reason: string, now: number): void {
    if (r.reason === reason) return;
    this.fleet.saveShadow({ ...r, reason, updatedAt: now }, now, true);
  }

  private async candidates(shadows?: ShadowRecord[], controls?: ControlBook): Promise<Map<string, HostCandidate>> {
    const { fleet } = this;
    const now = fleet.ctx.streamTime();
    const book = controls ?? (await fleet.controlBook());
    const wallNow = fleet.ctx.wallClockTime();
    const deployments = await fleet.deploymentsByHost();
    const map = new Map<string, HostCandidate>();
    for (const v of await fleet.hostViews()) {
      if (!v.host) continue;
      const target = { host: v.hostId, region: v.host.region };
      // A host under maintenance is about to be rebooted or drained: no place for a new copy.
      const inMaintenance = book.windows.some((w) => windowCovers(w, target, wallNow));
      const used = deployments.usedOn(v.hostId);
      map.set(v.hostId, {
        host: v.host,
        pFail: v.risk?.pFail ?? 0,
        failed: v.failedAt !== null || inMaintenance,
        usedCpu: used.cpu,
        usedMemoryMb: used.memoryMb,
        recentDeployFailures: recentFailures(v.deployFailures, now, fleet.opts.deployFailureWindowMs),
      });
    }
    for (const s of shadows ?? (await collect(fleet.shadows.all()))) {
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

  private choose(r: ShadowRecord, candidates: Map<string, HostCandidate>): { host: string } | undefined {
    const req = placementRequest(r);
    const list = [...candidates.values()];
    if (r.preferredHost) {
      const preferred = choosePlacement(
        req,
        list.filter((c) => c.host.host === r.preferredHost),
        this.fleet.opts,
      );
      if (preferred) return { host: preferred.host.host };
    }
    const best = choosePlacement(req, list, this.fleet.opts);
    return best ? { host: best.host.host } : undefined;
  }
}
