/**
 * What every failover step of the AWS actuator shares: the command and its region's mapping, the
 * clients, the epoch tags that fence resources, and polling for readiness.
 *
 * Fencing at the resource: each resource a step changes carries the tag `foreshadow:epoch` with
 * the epoch of the last command that changed it. A step first looks at all its resources and, if
 * any holds a newer epoch, changes nothing and answers REJECTED_STALE_EPOCH; otherwise it tags them
 * with its epoch and acts. For EC2, Auto Scaling, ELB and RDS this is check-then-act (their APIs
 * have no conditional write), so two actuators racing between the check and the change are kept
 * apart by the ledger and the partition lease, not by AWS; Route 53 changes are conditional at AWS
 * (redirect.ts).
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { transientError } from '../framework/errors.js';
import { sleep } from '../framework/retry.js';
import type { FailoverCommand, Outcome } from '../framework/types.js';
import type { AwsClients } from './clients.js';
import type { AwsRegionMapping } from './options.js';

export const EPOCH_TAG = 'foreshadow:epoch';
export const FAILOVER_TAG = 'foreshadow:failover';
export const REGION_TAG = 'foreshadow:region';
export const SERVICE_TAG = 'foreshadow:service';

export interface StepContext {
  cmd: FailoverCommand;
  region: AwsRegionMapping;
  /** Clients in the mapping's AWS region. */
  clients: AwsClients;
  /** Clients in another AWS region (a cross-region replica). */
  clientsIn(awsRegion: string): AwsClients;
  route53: Route53Client;
  signal: AbortSignal;
  readyTimeoutMs: number;
  pollIntervalMs: number;
}

export interface Tag {
  Key?: string | undefined;
  Value?: string | undefined;
}

/** The epoch a resource's tags hold, if any. */
export function epochOfTags(tags: readonly Tag[] | undefined): number | undefined {
  const value = tags?.find((t) => t.Key === EPOCH_TAG)?.Value;
  if (value === undefined || !/^-?\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The tags a step writes on the resources it changes. */
export function epochTags(cmd: FailoverCommand): { Key: string; Value: string }[] {
  return [
    { Key: EPOCH_TAG, Value: String(cmd.epoch) },
    { Key: FAILOVER_TAG, Value: cmd.failoverId },
  ];
}

/** A resource holding a newer epoch than the command's. */
export interface NewerEpoch {
  resource: string;
  epoch: number;
}

/** Collects the resources whose epoch tag is newer than the command's. */
export class FenceCheck {
  readonly newer: NewerEpoch[] = [];
  constructor(private readonly epoch: number) {}
  see(resource: string, epoch: number | undefined): void {
    if (epoch !== undefined && epoch > this.epoch) this.newer.push({ resource, epoch });
  }
  /** The REJECTED_STALE_EPOCH outcome when any resource is newer, else undefined. */
  refusal(): Outcome | undefined {
    if (this.newer.length === 0) return undefined;
    const list = this.newer.map((n) => `${n.resource} (epoch ${n.epoch})`).join(', ');
    return {
      status: 'REJECTED_STALE_EPOCH',
      detail: `newer epoch than the command's ${this.epoch} on ${list}: nothing changed`,
    };
  }
}

/**
 * Polls `check` until it answers true; past `readyTimeoutMs` a transient error (the orchestrator's
 * retry or the next attempt picks it up), saying what was awaited and what was last seen.
 */
export async function until(s: StepContext, what: string, check: () => Promise<true | string>): Promise<void> {
  const deadline = Date.now() + s.readyTimeoutMs;
  for (;;) {
    const seen = await check();
    if (seen === true) return;
    if (Date.now() + s.pollIntervalMs > deadline) {
      throw transientError(`${what} not ready after ${s.readyTimeoutMs} ms: ${seen}`, { what });
    }
    await sleep(s.pollIntervalMs, s.signal);
  }
}

/** Runs `fn` on every item with at most `limit` at a time, keeping the order of results. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
