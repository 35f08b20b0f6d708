/**
 * A prober: one vantage point that probes every target on its own schedule and publishes each
 * observation (resource.probes) for the quorum judge. Several probers (in different processes, on
 * different machines) are what let the judge tell a dead resource from a slow or cut-off prober.
 *
 * Each target has its own loop: one probe in flight at a time, started on a fixed grid of the
 * target's interval (random phase, so targets and vantages do not probe in lock-step); a probe
 * that outlives an interval makes the loop skip to the next grid point rather than queue probes.
 * A probe not answered within the target's timeout is aborted and reported TIMEOUT, unless the
 * prober itself was frozen or starved (its timer fired far later than asked: SIGSTOP, a VM pause,
 * a blocked event loop), in which case it is STALLED and the judge ignores it.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ResourceProbe } from '../../schemas/records/resource-probe.js';
import { ConfigError, describeError } from '../../streams/runtime/errors.js';
import type { Probe, ProbeTarget } from './probe-types.js';

export const proberOptionsSchema = z.object({
  /** This prober's name in every observation: distinct per instance (the quorum counts them). */
  vantage: z.string().regex(/^[A-Za-z0-9._:@-]{1,64}$/, 'letters, digits and . _ : @ - (1-64)'),
  /** Default probe interval (a resource's `probe.intervalMs` overrides it). */
  intervalMs: z.number().int().min(10).default(1_000),
  /** Default down-after (a resource's `probe.downAfterMs` overrides it). */
  downAfterMs: z.number().int().min(10).default(3_000),
  /** Default probe timeout; unset = each resource's down-after. */
  timeoutMs: z.number().int().min(10).optional(),
  /** How much later than asked a timeout may fire before the probe counts as STALLED. */
  stallToleranceMs: z.number().int().min(0).optional(),
});
export type ProberOptions = z.output<typeof proberOptionsSchema>;
export type ProberOptionsInput = z.input<typeof proberOptionsSchema>;

export function proberOptions(input: ProberOptionsInput): ProberOptions {
  const parsed = proberOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new ConfigError(`invalid prober options: ${problems.join('; ')}`, { problems });
  }
  return parsed.data;
}

/** Where observations go (Kafka in production, an array in tests). */
export interface ObservationSink {
  publish(o: ResourceProbe): Promise<void>;
  close(): Promise<void>;
}

/** Default stall tolerance: a quarter of the timeout, at least 50 ms of timer lateness. */
export function stallTolerance(timeoutMs: number, configured: number | undefined): number {
  return configured ?? Math.max(50, Math.floor(timeoutMs / 4));
}

function loopKey(t: ProbeTarget): string {
  return [t.resourceId, t.host, t.address, t.intervalMs, t.downAfterMs, t.timeoutMs, t.expectedRole].join('|');
}

interface Loop {
  target: ProbeTarget;
  stop: AbortController;
  done: Promise<void>;
}

export class ResourceProber {
  readonly options: ProberOptions;
  private readonly loops = new Map<string, Loop>();
  private stopped = false;
  /** Publish failures since the last one logged (logged at most every 10 s). */
  private publishFailures = 0;
  private lastPublishWarning = 0;

  constructor(
    options: ProberOptionsInput,
    /** The probe for a resource kind, or undefined when this prober cannot check it. */
    private readonly probeFor: (kind: string) => Probe | undefined,
    private readonly sink: ObservationSink,
    private readonly log?: Logger,
  ) {
    this.options = proberOptions(options);
  }

  /** Replaces the set of targets: new ones start, gone or changed ones stop. */
  setTargets(targets: readonly ProbeTarget[]): void {
    if (this.stopped) return;
    const wanted = new Map(targets.map((t) => [loopKey(t), t]));
    for (const [key, loop] of this.loops) {
      if (!wanted.has(key)) {
        loop.stop.abort();
        this.loops.delete(key);
        this.log?.info({ resourceId: loop.target.resourceId, address: loop.target.address }, 'probing stopped');
      }
    }
    for (const [key, target] of wanted) {
      if (this.loops.has(key) || !this.probeFor(target.kind)) continue;
      const stop = new AbortController();
      this.loops.set(key, { target, stop, done: this.run(target, stop.signal) });
      this.log?.info(
        {
          resourceId: target.resourceId,
          address: target.address,
          intervalMs: target.intervalMs,
          downAfterMs: target.downAfterMs,
        },
        'probing started',
      );
    }
  }

  targets(): ProbeTarget[] {
    return [...this.loops.values()].map((l) => l.target);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const loop of this.loops.values()) loop.stop.abort();
    await Promise.all([...this.loops.values()].map((l) => l.done));
    this.loops.clear();
    await this.sink.close();
  }

  /** One probe of `target`, timed and classified (exported for tests). */
  async probeOnce(target: ProbeTarget, probe: Probe): Promise<ResourceProbe> {
    const startedAt = Date.now();
    const t0 = performance.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), target.timeoutMs);
    let result: Awaited<ReturnType<Probe['probe']>>;
    try {
      result = await probe.probe(target, deadline.signal);
    } catch (err: unknown) {
      // A probe must not throw; one that does is reported rather than allowed to stop the loop.
      result = { outcome: 'ERROR', detail: `probe failed: ${describeError(err)}` };
    } finally {
      clearTimeout(timer);
    }
    const elapsed = performance.now() - t0;
    const late = elapsed - target.timeoutMs;
    const stalled =
      result.outcome === 'TIMEOUT' && late > stallTolerance(target.timeoutMs, this.options.stallToleranceMs);
    return {
      resourceId: target.resourceId,
      host: target.host,
      region: target.region,
      kind: target.kind,
      address: target.address,
      vantage: this.options.vantage,
      method: probe.method,
      outcome: stalled ? 'STALLED' : result.outcome,
      expectedRole: target.expectedRole,
      observedRole: result.observedRole ?? '',
      startedAt,
      timestamp: Math.max(startedAt, Date.now()),
      latencyMs: Math.max(0, Math.round(elapsed)),
      intervalMs: target.intervalMs,
      downAfterMs: target.downAfterMs,
      detail: stalled
        ? `prober stalled: timeout of ${target.timeoutMs} ms fired after ${Math.round(elapsed)} ms`
        : (result.detail ?? ''),
    };
  }

  private async run(target: ProbeTarget, signal: AbortSignal): Promise<void> {
    const probe = this.probeFor(target.kind);
    if (!probe) return;
    const every = target.intervalMs;
    let next = Date.now() + Math.floor(Math.random() * every);
    let lastOutcome = '';
    while (!signal.aborted) {
      if (!(await sleepUntil(next, signal))) return;
      const o = await this.probeOnce(target, probe);
      if (signal.aborted) return;
      if (o.outcome !== lastOutcome) {
        this.log?.info(
          {
            resourceId: o.resourceId,
            address: o.address,
            outcome: o.outcome,
            detail: o.detail,
            latencyMs: o.latencyMs,
          },
          `probe ${o.outcome}`,
        );
        lastOutcome = o.outcome;
      }
      await this.publish(o);
      // The next grid point still ahead (a long probe skips the ones it overlapped).
      next += every * Math.max(1, Math.ceil((Date.now() - next) / every));
    }
  }

  private async publish(o: ResourceProbe): Promise<void> {
    try {
      await this.sink.publish(o);
    } catch (err: unknown) {
      this.publishFailures++;
      if (Date.now() - this.lastPublishWarning >= 10_000) {
        this.lastPublishWarning = Date.now();
        this.log?.warn({ err: describeError(err), failures: this.publishFailures }, 'observation not published');
        this.publishFailures = 0;
      }
    }
  }
}

/** Resolves true at `at`, or false as soon as `signal` aborts. */
function sleepUntil(at: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      },
      Math.max(0, at - Date.now()),
    );
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
