/**
 * Shadow manager (seed 000): decides which resources get passive shadows, where, and when they are
 * retired or promoted; runs host failovers.
 *
 * Inputs (one merged stream, see below): health.risk, hosts, deployments, host.failures (a host,
 * or one resource of it when `resourceId` is set: resource-failure.ts), actuation.results (shadow command types only), operator.requests (shadow request types only).
 * Outputs (children, fleet-state.ts): shadow.commands, shadow.state (compacted projection),
 * failover.events (scope HOST), host.failures (only heartbeat-loss detections, so the failure
 * becomes a model label too), control.state (the safety controls in force).
 *
 * Why one partition: the budget, the rate limit and placement are fleet-wide decisions (a shadow on
 * host B consumes capacity that another shadow must not also count on), and epochs need a single
 * writer. So the topology (`topology.ts`) wraps every input record in a `FleetInput` envelope and
 * re-keys it onto the constant key `fleet` through a one-partition repartition topic; this processor
 * then sees the whole fleet, in order, in one task whose stores hold the complete view. Volume is
 * one risk record per host per interval plus table updates and results: thousands per second
 * at most, well within one task. Fail-over of the task itself is the runtime's (changelogged stores).
 *
 * Stores (names.ts): shadows (resourceId → ShadowRecord), hosts (host → HostView), deployments
 * (resourceId → Deployment), epochs (resourceId → epoch), resource and host failovers, requests
 * (operator request ids already acted on), meta (rate bucket, promotion log), controls (pause and
 * maintenance windows).
 *
 * The work is split along its seams, each over the shared FleetState: shadow-inputs.ts (the
 * lifecycle of shadows as inputs arrive), host-failover-runner.ts (host failovers),
 * placement-runner.ts (queue, budget and placement), control-inputs.ts (the safety controls),
 * housekeeping.ts (the wall-clock round).
 *
 * Safety controls (streams/controls): while paused, or for a host or region in a maintenance
 * window, no new automatic action is taken — risen risk still queues shadows, but the queue holds
 * them (their reason says why) until the control ends; failures are recorded as
 * FAILOVER_SUPPRESSED instead of failed over; idle shadows are not retired while paused. Work
 * already in flight (a provisioning retry, a promotion's redirect) finishes, and operators' own
 * requests are carried out: the controls stop the automation, not the people. In advise mode
 * (`mode: 'advise'`) every decision is made and recorded as advisory commands that no actuator
 * carries out.
 *
 * Time: decisions in `process` use event time (max of the record timestamp and stream time); the
 * wall-clock punctuator (`tickMs`) drives timeouts, retries, sync polls, retirement, queue draining
 * and heartbeat-loss detection, which must fire even when no record arrives.
 */
import type { ShadowCommandType } from '../../../schemas/records/shadow-command.js';
import { SHADOW_COMMAND_TYPES } from '../../../schemas/records/shadow-command.js';
import { isControlRequest } from '../../controls/controls.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import type { StreamRecord } from '../../runtime/record.js';
import { ControlInputs } from './control-inputs.js';
import { FleetState, type ShadowOutput } from './fleet-state.js';
import { HostFailoverRunner } from './host-failover-runner.js';
import { Housekeeping } from './housekeeping.js';
import { type ShadowManagerOptions, shadowManagerOptions } from './options.js';
import { PlacementRunner } from './placement-runner.js';
import { ShadowInputs } from './shadow-inputs.js';
import type { FleetInput } from './types.js';

/** Shadow command types whose results move a shadow's lifecycle; the others belong to failovers. */
const LIFECYCLE_COMMANDS: readonly ShadowCommandType[] = ['CREATE', 'REPORT_SYNC', 'RETIRE'];

export class ShadowManagerProcessor implements Processor<string, FleetInput, string, ShadowOutput> {
  private readonly opts: ShadowManagerOptions;
  private ctx!: ProcessorContext<string, ShadowOutput>;
  private fleet!: FleetState;
  private placement!: PlacementRunner;
  private failovers!: HostFailoverRunner;
  private inputs!: ShadowInputs;
  private controls!: ControlInputs;
  private housekeeping!: Housekeeping;

  constructor(options: Partial<ShadowManagerOptions> = {}) {
    this.opts = shadowManagerOptions(options);
  }

  init(ctx: ProcessorContext<string, ShadowOutput>): void {
    this.ctx = ctx;
    this.fleet = new FleetState(ctx, this.opts);
    this.placement = new PlacementRunner(this.fleet);
    this.failovers = new HostFailoverRunner(this.fleet, this.placement);
    this.inputs = new ShadowInputs(this.fleet, this.placement);
    this.controls = new ControlInputs(this.fleet);
    this.housekeeping = new Housekeeping(
      this.fleet,
      this.placement,
      this.failovers,
      this.controls,
      ctx.wallClockTime(),
    );
    ctx.schedule(this.opts.tickMs, 'wall-clock', (ts) => this.housekeeping.tick(ts));
  }

  async process(record: StreamRecord<string, FleetInput>): Promise<void> {
    const now = Math.max(record.timestamp, this.ctx.streamTime());
    const input = record.value;
    switch (input.type) {
      case 'RISK':
        await this.inputs.onRisk(input.risk, now);
        break;
      case 'HOST':
        await this.inputs.onHost(input.hostId, input.host);
        break;
      case 'DEPLOYMENT':
        await this.inputs.onDeployment(input.resourceId, input.deployment, now);
        break;
      case 'FAILURE':
        await this.failovers.onHostFailure(input.failure, now, false);
        break;
      case 'RESULT': {
        const res = input.result;
        if (!SHADOW_COMMAND_TYPES.includes(res.commandType as ShadowCommandType)) break;
        if (LIFECYCLE_COMMANDS.includes(res.commandType as ShadowCommandType)) await this.inputs.onResult(res, now);
        else await this.failovers.onResult(res, now);
        break;
      }
      case 'REQUEST': {
        const req = input.request;
        if (req.type === 'REGION_FAILOVER' || req.type === 'APPROVE_REGION_FAILOVER') break;
        if (await this.fleet.requests.get(req.requestId)) break; // an operator call acts once, however often delivered
        this.fleet.requests.put(req.requestId, now);
        if (isControlRequest(req)) {
          await this.controls.onRequest(req, now);
          break;
        }
        const d = await this.fleet.deployments.get(req.subject);
        if (req.type !== 'PROMOTE_SHADOW') await this.inputs.onRequest(req, d, now);
        else if (d) await this.failovers.onPromoteRequest(req, d, await this.fleet.shadows.get(req.subject), now);
        break;
      }
    }
    // Most records are routine risk updates that change no shadow: skip the fleet scan for them.
    if (this.fleet.queueDirty || input.type === 'HOST' || input.type === 'DEPLOYMENT')
      await this.placement.drainQueue(now);
  }
}
