/**
 * Failover orchestrator (seed 004): runs region failovers and drills from shadow blueprints.
 *
 * Inputs: region.blueprints, region.health, operator.requests (REGION_FAILOVER only),
 * actuation.results (failover command types only). All four are keyed by primary region and have the
 * same partition count, so they are co-partitioned: the task owning a region sees its blueprint, its
 * health, its operator calls and its actuation results, and no repartition is needed.
 * Outputs (children): failover.commands, failover.events (scope REGION).
 * Stores: blueprints (region → latest blueprint), regions (region → epoch, last status, the open
 * failover and the open drill), requests (operator request ids already acted on).
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
import type { RegionHealth, RegionStatus } from '../../../schemas/records/region-health.js';
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore } from '../../state/store.js';
import { BLUEPRINTS_STORE, REGION_REQUESTS_STORE, REGIONS_STORE } from './names.js';
import { type FailoverOrchestratorOptions, failoverOrchestratorOptions } from './options.js';
import {
  abortRegionFailover,
  isRegionFailoverOpen,
  onRegionResult,
  onRegionTick,
  type RegionFailover,
  type RegionTransition,
  regionEvent,
  startRegionFailover,
} from './region-failover.js';

export const FAILOVER_COMMANDS_CHILD = 'failover-commands-out';
export const REGION_EVENTS_CHILD = 'failover-events-out';

export type RegionInput =
  | { type: 'BLUEPRINT'; region: string; blueprint: ShadowBlueprint | null }
  | { type: 'HEALTH'; health: RegionHealth }
  | { type: 'REQUEST'; request: OperatorRequest }
  | { type: 'RESULT'; result: ActuationResult };

export interface RegionRecord {
  region: string;
  /** Rises with every real failover; commands of older failovers are refused by the actuators. */
  epoch: number;
  lastStatus: RegionStatus | null;
  active: RegionFailover | null;
  drill: RegionFailover | null;
}

type RegionOutput = FailoverCommand | FailoverEvent;

function emptyRegion(region: string): RegionRecord {
  return { region, epoch: 0, lastStatus: null, active: null, drill: null };
}

export class FailoverOrchestratorProcessor implements Processor<string, RegionInput, string, RegionOutput> {
  private readonly opts: FailoverOrchestratorOptions;
  private ctx!: ProcessorContext<string, RegionOutput>;
  private blueprints!: KeyValueStore<string, ShadowBlueprint>;
  private regions!: KeyValueStore<string, RegionRecord>;
  private requests!: KeyValueStore<string, number>;

  constructor(options: Partial<FailoverOrchestratorOptions> = {}) {
    this.opts = failoverOrchestratorOptions(options);
  }

  init(ctx: ProcessorContext<string, RegionOutput>): void {
    this.ctx = ctx;
    this.blueprints = ctx.getKeyValueStore(BLUEPRINTS_STORE);
    this.regions = ctx.getKeyValueStore(REGIONS_STORE);
    this.requests = ctx.getKeyValueStore(REGION_REQUESTS_STORE);
    ctx.schedule(this.opts.tickMs, 'wall-clock', (ts) => this.tick(ts));
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

  private async onHealth(h: RegionHealth, now: number): Promise<void> {
    const rec = (await this.regions.get(h.region)) ?? emptyRegion(h.region);
    const becameFailed = h.status === 'FAILED' && rec.lastStatus !== 'FAILED';
    let next: RegionRecord = { ...rec, lastStatus: h.status };
    if (becameFailed && this.opts.autoFailover) {
      next = await this.startReal(next, `region health FAILED: ${h.reasons.join('; ') || 'no reason given'}`, now);
    }
    this.regions.put(h.region, next);
  }

  private async onRequest(req: OperatorRequest, now: number): Promise<void> {
    if (req.type !== 'REGION_FAILOVER') return;
    if (await this.requests.get(req.requestId)) return; // one operator call, one failover
    this.requests.put(req.requestId, now);
    const rec = (await this.regions.get(req.subject)) ?? emptyRegion(req.subject);
    const trigger = `${req.dryRun ? 'drill' : 'failover'} requested by ${req.principal} (${req.requestId})`;
    const next = req.dryRun ? await this.startDrill(rec, trigger, now) : await this.startReal(rec, trigger, now);
    this.regions.put(req.subject, next);
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
    let drill = rec.drill;
    if (drill && isRegionFailoverOpen(drill)) {
      // The real thing outranks a rehearsal: stop the drill so it does not compete for capacity.
      drill = this.emit(abortRegionFailover(drill, now, 'pre-empted by a real failover'));
    }
    const epoch = rec.epoch + 1;
    const started = this.start(bp, epoch, false, trigger, now);
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
    return { ...rec, drill: this.start(bp, rec.epoch, true, trigger, now) };
  }

  private start(
    bp: ShadowBlueprint,
    epoch: number,
    dryRun: boolean,
    trigger: string,
    now: number,
  ): RegionFailover | null {
    try {
      const startCommands = this.opts.startCommands;
      return this.emit(startRegionFailover({ blueprint: bp, epoch, dryRun, trigger, now, startCommands }));
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
    if (next !== rec) this.regions.put(rec.region, next);
  }

  private async tick(now: number): Promise<void> {
    for await (const { key, value } of this.regions.all()) {
      const active =
        value.active && isRegionFailoverOpen(value.active)
          ? this.emit(onRegionTick(value.active, now, this.opts))
          : value.active;
      const drill =
        value.drill && isRegionFailoverOpen(value.drill)
          ? this.emit(onRegionTick(value.drill, now, this.opts))
          : value.drill;
      if (active !== value.active || drill !== value.drill) this.regions.put(key, { ...value, active, drill });
    }
  }

  private emit(t: RegionTransition): RegionFailover {
    for (const c of t.commands)
      this.ctx.forward(new StreamRecord(c.primaryRegion, c, c.issuedAt), FAILOVER_COMMANDS_CHILD);
    this.emitEvents(t.events);
    return t.failover;
  }

  private emitEvents(events: FailoverEvent[]): void {
    for (const e of events) this.ctx.forward(new StreamRecord(e.subject, e, e.timestamp), REGION_EVENTS_CHILD);
  }
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
  };
}
