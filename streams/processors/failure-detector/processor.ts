/**
 * Failure detector (the quorum judge).
 *
 * Input: resource.probes (ResourceProbe, key = resourceId): what each prober (vantage point)
 * saw when it probed a resource. Output: host.failures (HostFailure, key = host, resourceId
 * set), one record per declared failure of a resource at an address. Store: `failure-detector-
 * verdicts` (resourceId␟address → TargetVerdict): every vantage's view of the target and the
 * target's status. The rule is in quorum.ts (pure): a failure is declared only when `quorum`
 * distinct vantages have each seen no good answer for the resource's down-after time.
 *
 * Time: event time (the probes' finish times). Records of one resource share a partition, so one
 * task sees every vantage's view of it. A stream-time punctuator drops verdicts of targets nobody
 * has probed for `retainMs` (the resource moved to its shadow's address, or was removed).
 */
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { ResourceProbe } from '../../../schemas/records/resource-probe.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore } from '../../state/store.js';
import { VERDICTS_STORE } from './names.js';
import { type FailureDetectorOptions, type FailureDetectorOptionsInput, failureDetectorOptions } from './options.js';
import { isForgotten, judge, type TargetVerdict, type Transition, targetKey } from './quorum.js';

/** Called on every status change (logs and metrics); never affects the verdict. */
export type TransitionListener = (t: Transition, verdict: TargetVerdict) => void;

export class FailureDetectorProcessor implements Processor<string, ResourceProbe, string, HostFailure> {
  private readonly options: FailureDetectorOptions;
  private ctx!: ProcessorContext<string, HostFailure>;
  private verdicts!: KeyValueStore<string, TargetVerdict>;

  constructor(
    options: FailureDetectorOptionsInput = {},
    private readonly onTransition: TransitionListener = () => {},
  ) {
    this.options = failureDetectorOptions(options);
  }

  init(context: ProcessorContext<string, HostFailure>): void {
    this.ctx = context;
    this.verdicts = context.getKeyValueStore(VERDICTS_STORE);
    context.schedule(this.options.cleanupIntervalMs, 'stream-time', (now) => this.forget(now));
  }

  async process(record: StreamRecord<string, ResourceProbe>): Promise<void> {
    const o = record.value;
    const key = targetKey(o.resourceId, o.address);
    const j = judge(await this.verdicts.get(key), o, this.options);
    this.verdicts.put(key, j.verdict);
    if (j.transition) this.onTransition(j.transition, j.verdict);
    if (j.failure) this.ctx.forward(new StreamRecord(j.failure.host, j.failure, j.failure.timestamp, record.headers));
  }

  private async forget(now: number): Promise<void> {
    const old: string[] = [];
    for await (const kv of this.verdicts.all()) {
      if (isForgotten(kv.value, now, this.options.retainMs)) old.push(kv.key);
    }
    for (const k of old) this.verdicts.delete(k);
  }
}
