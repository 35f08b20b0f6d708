/**
 * Failover orchestrator (seed 004): runs region failovers and drills from shadow blueprints.
 *
 * Inputs: region.blueprints, region.health, operator.requests (region failovers and their approval,
 * the pause, region maintenance windows), actuation.results (failover command types only). All four
 * are keyed by primary region and have the same partition count, so they are co-partitioned: the
 * task owning a region sees its blueprint, its health, its operator calls and its actuation
 * results, and no repartition is needed. The pause concerns every region, so the API writes it to
 * every partition of operator.requests; each task keeps its own copy.
 * Outputs (children): failover.commands, failover.events (scope REGION), region.failovers (where
 * each region's failover stands).
 * Stores: blueprints (region → latest blueprint), regions (region → epoch, last status, the open
 * failover and the open drill, a failover awaiting approval or suppressed), requests (operator
 * request ids already acted on), controls (the pause and this task's regions' maintenance windows).
 *
 * The approval gate: when region health turns FAILED the orchestrator starts a failover itself only
 * with `autoRegionFailover: true`; otherwise it records a PENDING_APPROVAL failover (an event and
 * region.failovers) that APPROVE_REGION_FAILOVER starts, and that is withdrawn if the region
 * recovers first. A manual REGION_FAILOVER starts one at once, as ever. While automation is paused
 * or the region is in a maintenance window, a FAILED region is recorded as SUPPRESSED instead, and
 * judged again (approval or automatic start) once the control ends while it is still FAILED.
 *
 * Time: steps are timed on event time (result timestamps); a wall-clock punctuator retries or fails
 * steps whose result does not come back in time.
 *
 * Host failovers are not run here but by the shadow manager, which owns per-resource shadows and
 * epochs (streams/processors/shadow-manager/host-failover.ts, heartbeat.ts).
 */
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import {
  FAILOVER_COMMAND_TYPES,
  type FailoverCommand,
  type FailoverCommandType,
} from '../../../schemas/records/failover-command.js';
import type { FailoverEvent } from '../../../schemas/records/failover-event.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import type { RegionFailoverStatus } from '../../../schemas/records/region-failover-status.js';
import type { RegionHealth } from '../../../schemas/records/region-health.js';
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import {
  applyControlRequest,
  type ControlBook,
  describeSuppression,
  emptyControls,
  expiredWindows,
  isControlRequest,
  suppressionFor,
  suppressionKey,
  withoutWindows,
} from '../../controls/controls.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore } from '../../state/store.js';
import { BLUEPRINTS_STORE, REGION_CONTROLS_STORE, REGION_REQUESTS_STORE, REGIONS_STORE } from './names.js';
import { type FailoverOrchestratorOptions, failoverOrchestratorOptions } from './options.js';
import {
  abortRegionFailover,
  adviseRegionFailover,
  isRegionFailoverOpen,
  onRegionResult,
  onRegionTick,
  type RegionFailover,
  type RegionTransition,
  regionEvent,
  regionFailoverId,
  startRegionFailover,
} from './region-failover.js';
import { regionStatus, sameStatus } from './region-status.js';
import type { RegionRecord } from './types.js';

export const FAILOVER_COMMANDS_CHILD = 'failover-commands-out';
export const REGION_EVENTS_CHILD = 'failover-events-out';
export const REGION_STATUS_CHILD = 'region-failovers-out';

export type RegionInput =
  | { type: 'BLUEPRINT'; region: string; blueprint: ShadowBlueprint | null }
  | { type: 'HEALTH'; health: RegionHealth }
  | { type: 'REQUEST'; request: OperatorRequest }
  | { type: 'RESULT'; result: ActuationResult };

type RegionOutput = FailoverCommand | FailoverEvent | RegionFailoverStatus;

const CONTROL_BOOK_KEY = 'book';

function emptyRegion(region: string): RegionRecord {
  return { region, epoch: 0, lastStatus: null, active: null, drill: null, pending: null, suppressed: null };
}

export class FailoverOrchestratorProcessor implements Processor<string, RegionInput, string, RegionOutput> {
  private readonly opts: FailoverOrchestratorOptions;
  private ctx!: ProcessorContext<string, RegionOutput>;
  private blueprints!: KeyValueStore<string, ShadowBlueprint>;
  private regions!: KeyValueStore<string, RegionRecord>;
  private requests!: KeyValueStore<string, number>;
  private controls!: KeyValueStore<string, ControlBook>;

  constructor(options: Partial<FailoverOrchestratorOptions> = {}) {
    this.opts = failoverOrchestratorOptions(options);
  }

  init(ctx: ProcessorContext<string, RegionOutput>): void {
    this.ctx = ctx;
    this.blueprints = ctx.getKeyValueStore(BLUEPRINTS_STORE);
    this.regions = ctx.getKeyValueStore(REGIONS_STORE);
    this.requests = ctx.getKeyValueStore(REGION_REQUESTS_STORE);
    this.controls = ctx.getKeyValueStore(REGION_CONTROLS_STORE);
    ctx.schedule(this.opts.tickMs, 'wall-clock', (ts) => this.tick(ts));
  }

  private get advising(): boolean {
    return this.opts.mode === 'advise';
  }

  async process(record: StreamRecord<string, RegionInput>): Promise<void> {
    const now = Math.max(record.timestamp, this.ctx.streamTime());
    const input = record.value;
    switch (input.type) {
      case 'BLUEPRINT':
        if (input.blueprint === null) this.blueprints.delete(input.region);
        else this.blueprints.put(input.blueprint.primaryRegion, input.blueprint);
        return;
      case 'HEALTH':
        return this.onHealth(input.health, now);
      case 'REQUEST':
        return this.onRequest(input.request, now);
      case 'RESULT':
        return this.onResult(input.result, now);
    }
  }

  private async controlBook(): Promise<ControlBook> {
    return (await this.controls.get(CONTROL_BOOK_KEY)) ?? emptyControls();
  }

  private async onHealth(h: RegionHealth, now: number): Promise<void> {
    const rec = (await this.regions.get(h.region)) ?? emptyRegion(h.region);
    const becameFailed = h.status === 'FAILED' && rec.lastStatus !== 'FAILED';
    let next: RegionRecord = { ...rec, lastStatus: h.status };
    if (becameFailed) {
      next = await this.onRegionFailed(next, `region health FAILED: ${h.reasons.join('; ') || 'no reason given'}`, now);
    } else if (h.status !== 'FAILED') {
      if (next.pending) {
        this.emitEvents([
          heldEvent(next, 'APPROVAL_WITHDRAWN', now, `region health ${h.status} again; nothing to approve`),
        ]);
      }
      next = { ...next, pending: null, suppressed: null };
    }
    this.save(rec, next, now);
  }

  /** Region health turned FAILED: suppressed, started (autoRegionFailover) or left for approval. */
  private async onRegionFailed(rec: RegionRecord, trigger: string, now: number): Promise<RegionRecord> {
    const s = suppressionFor(await this.controlBook(), { region: rec.region }, this.ctx.wallClockTime());
    if (s) {
      this.emitEvents([
        heldEvent(rec, 'FAILOVER_SUPPRESSED', now, `${trigger}; not failed over: ${describeSuppression(s)}`),
      ]);
      return { ...rec, pending: null, suppressed: { trigger, since: now, by: suppressionKey(s) } };
    }
    if (this.opts.autoRegionFailover) return this.startReal({ ...rec, suppressed: null }, trigger, now);
    if (rec.active && isRegionFailoverOpen(rec.active)) {
      this.emitEvents([
        regionEvent(rec.active, 'REFUSED', now, `${trigger}: failover ${rec.active.failoverId} already running`),
      ]);
      return { ...rec, suppressed: null };
    }
    this.emitEvents([
      heldEvent(
        rec,
        'PENDING_APPROVAL',
        now,
        `${trigger}; waiting for an operator: POST /regions/${rec.region}/failover/approve (autoRegionFailover is off)`,
      ),
    ]);
    return { ...rec, suppressed: null, pending: { trigger, since: now } };
  }

  private async onRequest(req: OperatorRequest, now: number): Promise<void> {
    if (await this.requests.get(req.requestId)) return; // one operator call, one effect
    this.requests.put(req.requestId, now);
    if (isControlRequest(req)) {
      const update = applyControlRequest(await this.controlBook(), req, this.ctx.wallClockTime());
      if (update.changes.length > 0) this.controls.put(CONTROL_BOOK_KEY, update.book);
      return;
    }
    const rec = (await this.regions.get(req.subject)) ?? emptyRegion(req.subject);
    if (req.type === 'APPROVE_REGION_FAILOVER') {
      if (!rec.pending) {
        this.emitEvents([heldEvent(rec, 'REFUSED', now, `approval by ${req.principal}: no failover awaits approval`)]);
        return;
      }
      this.emitEvents([heldEvent(rec, 'APPROVED', now, `by ${req.principal} (${req.requestId})`)]);
      const trigger = `approved by ${req.principal}: ${rec.pending.trigger}`;
      this.save(rec, await this.startReal({ ...rec, pending: null }, trigger, now), now);
      return;
    }
    if (req.type !== 'REGION_FAILOVER') return;
    const trigger = `${req.dryRun ? 'drill' : 'failover'} requested by ${req.principal} (${req.requestId})`;
    // A failover started by hand settles whatever region health was waiting for.
    const next = req.dryRun
      ? await this.startDrill(rec, trigger, now)
      : await this.startReal({ ...rec, pending: null, suppressed: null }, trigger, now);
    this.save(rec, next, now);
  }

  private async startReal(rec: RegionRecord, trigger: string, now: number): Promise<RegionRecord> {
    if (rec.active && isRegionFailoverOpen(rec.active)) {
      this.emitEvents([
        regionEvent(rec.active, 'REFUSED', now, `${trigger}: failover ${rec.active.failoverId} already running`),
      ]);
      return rec;
    }
    const bp = await this.blueprints.get(rec.region);
    if (!bp) {
      this.emitEvents([noBlueprintEvent(rec.region, trigger, now, false)]);
      return rec;
    }
    if (this.advising) {
      // A recommendation takes no epoch and competes with no drill for capacity.
      return { ...rec, active: this.start(bp, rec.epoch + 1, false, trigger, now, true) };
    }
    let drill = rec.drill;
    if (drill && isRegionFailoverOpen(drill)) {
      // The real thing outranks a rehearsal: stop the drill so it does not compete for capacity.
      drill = this.emit(abortRegionFailover(drill, now, 'pre-empted by a real failover'));
    }
    const epoch = rec.epoch + 1;
    const started = this.start(bp, epoch, false, trigger, now, false);
    return { ...rec, epoch, drill, active: started };
  }

  private async startDrill(rec: RegionRecord, trigger: string, now: number): Promise<RegionRecord> {
    if ((rec.active && isRegionFailoverOpen(rec.active)) || (rec.drill && isRegionFailoverOpen(rec.drill))) {
      const open = rec.active && isRegionFailoverOpen(rec.active) ? rec.active : rec.drill!;
      this.emitEvents([
        regionEvent({ ...open, dryRun: true }, 'REFUSED', now, `${trigger}: ${open.failoverId} still running`),
      ]);
      return rec;
    }
    const bp = await this.blueprints.get(rec.region);
    if (!bp) {
      this.emitEvents([noBlueprintEvent(rec.region, trigger, now, true)]);
      return rec;
    }
    return { ...rec, drill: this.start(bp, rec.epoch, true, trigger, now, false) };
  }

  private start(
    bp: ShadowBlueprint,
    epoch: number,
    dryRun: boolean,
    trigger: string,
    now: number,
    advisory: boolean,
  ): RegionFailover | null {
    try {
      const startCommands = this.opts.startCommands;
      const t = startRegionFailover({ blueprint: bp, epoch, dryRun, trigger, now, startCommands, advisory });
      return this.emit(advisory ? adviseRegionFailover(t, now, this.opts) : t);
    } catch (err: unknown) {
      // An inconsistent blueprint must not crash the task; it is logged and the next blueprint may fix it.
      const detail = err instanceof Error ? err.message : String(err);
      this.emitEvents([
        { ...noBlueprintEvent(bp.primaryRegion, trigger, now, dryRun), detail: `invalid blueprint: ${detail}` },
      ]);
      return null;
    }
  }

  private async onResult(res: ActuationResult, now: number): Promise<void> {
    if (!FAILOVER_COMMAND_TYPES.includes(res.commandType as FailoverCommandType)) return;
    const rec = await this.regions.get(res.subject);
    if (!rec) return;
    let next = rec;
    if (rec.active && res.commandId.startsWith(`${rec.active.failoverId}:`)) {
      next = { ...next, active: this.emit(onRegionResult(rec.active, res, now, this.opts)) };
    } else if (rec.drill && res.commandId.startsWith(`${rec.drill.failoverId}:`)) {
      next = { ...next, drill: this.emit(onRegionResult(rec.drill, res, now, this.opts)) };
    }
    if (next !== rec) this.save(rec, next, now);
  }

  private async tick(now: number): Promise<void> {
    const book = await this.expireWindows(now);
    for await (const { value } of this.regions.all()) {
      const active =
        value.active && isRegionFailoverOpen(value.active)
          ? this.emit(onRegionTick(value.active, now, this.opts))
          : value.active;
      const drill =
        value.drill && isRegionFailoverOpen(value.drill)
          ? this.emit(onRegionTick(value.drill, now, this.opts))
          : value.drill;
      let next: RegionRecord = active !== value.active || drill !== value.drill ? { ...value, active, drill } : value;
      next = await this.rejudgeSuppressed(next, book, now);
      if (next !== value) this.save(value, next, now);
    }
  }

  /** Ends the windows that are over; returns the book in force. */
  private async expireWindows(now: number): Promise<ControlBook> {
    const book = await this.controlBook();
    const ended = expiredWindows(book, now);
    if (ended.length === 0) return book;
    const left = withoutWindows(book, ended);
    this.controls.put(CONTROL_BOOK_KEY, left);
    return left;
  }

  /** A failover suppressed by a control that has ended, in a region still FAILED, is decided now. */
  private async rejudgeSuppressed(rec: RegionRecord, book: ControlBook, now: number): Promise<RegionRecord> {
    if (!rec.suppressed || rec.lastStatus !== 'FAILED') return rec;
    const s = suppressionFor(book, { region: rec.region }, this.ctx.wallClockTime());
    if (s) return rec;
    const trigger = `${rec.suppressed.trigger} (suppressed since ${new Date(rec.suppressed.since).toISOString()})`;
    return this.onRegionFailed({ ...rec, suppressed: null }, trigger, now);
  }

  /** Saves a region record and publishes its failover status on region.failovers when it changed. */
  private save(before: RegionRecord, after: RegionRecord, now: number): void {
    this.regions.put(after.region, after);
    const previous = regionStatus(before, now);
    const next = regionStatus(after, now);
    if (!sameStatus(previous, next) || (before.active === null && before.lastStatus === null))
      this.ctx.forward(new StreamRecord(after.region, next, now), REGION_STATUS_CHILD);
  }

  private emit(t: RegionTransition): RegionFailover {
    for (const c of t.commands) {
      // One place guarantees that nothing an advising orchestrator sends is carried out (drills
      // excepted: their dryRun commands only ever reach a simulated provider).
      const out = this.advising && !c.dryRun ? { ...c, advisory: true } : c;
      this.ctx.forward(new StreamRecord(out.primaryRegion, out, out.issuedAt), FAILOVER_COMMANDS_CHILD);
    }
    this.emitEvents(t.events);
    return t.failover;
  }

  private emitEvents(events: FailoverEvent[]): void {
    for (const e of events) this.ctx.forward(new StreamRecord(e.subject, e, e.timestamp), REGION_EVENTS_CHILD);
  }
}

/** An event about a region's failover that has not started (pending, suppressed, approved...). */
function heldEvent(rec: RegionRecord, step: string, now: number, detail: string): FailoverEvent {
  // Named for the failover it would start, so the log links the request, the approval and the run.
  const failoverId = regionFailoverId(rec.region, rec.epoch + 1, false, now);
  return {
    eventId: `${failoverId}:${step}:${now}`,
    failoverId,
    scope: 'REGION',
    subject: rec.region,
    step,
    resourceId: '',
    fromHost: rec.region,
    toHost: '',
    epoch: rec.epoch + 1,
    dryRun: false,
    elapsedMs: 0,
    detail,
    timestamp: now,
    advisory: false,
  };
}

function noBlueprintEvent(region: string, trigger: string, now: number, dryRun: boolean): FailoverEvent {
  return {
    eventId: `rf:${region}:no-blueprint:${now}`,
    failoverId: '',
    scope: 'REGION',
    subject: region,
    step: 'FAILED',
    resourceId: '',
    fromHost: region,
    toHost: '',
    epoch: 0,
    dryRun,
    elapsedMs: 0,
    detail: `${trigger}: no shadow blueprint for ${region}`,
    timestamp: now,
    advisory: false,
  };
}
