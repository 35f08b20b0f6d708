/**
 * A failure of one resource (host.failures with `resourceId`: the failure detector's probes, a
 * resource-labelled alert) fails over that resource only, not its host: the host stays eligible
 * for placement and its other resources stay where they are. Whether such a failure is acted on
 * is decided here (pure): not for an unknown resource, nor one the record places on another host
 * than its primary's, nor while a failover of it is open or after one that already moved it (the
 * deployments table names the old primary until the resource is redeployed), nor when its whole
 * host is already failing over.
 */
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import { isFailoverOpen, type ResourceFailover } from './host-failover.js';

/** Deterministic: the same failure record names the same failover (redeliveries act once). */
export function resourceFailoverId(f: Pick<HostFailure, 'resourceId' | 'timestamp'>): string {
  return `rf:${f.resourceId}:${f.timestamp}`;
}

/** Why a resource failure is not acted on, or undefined when it is. */
export function resourceFailureIgnored(
  f: HostFailure,
  d: Deployment | undefined,
  last: ResourceFailover | undefined,
  hostFailedAt: number | null,
): string | undefined {
  if (!d) return `resource ${f.resourceId} is not in the deployments table`;
  if (d.host !== f.host) return `resource ${f.resourceId} runs on ${d.host}, not ${f.host}`;
  if (hostFailedAt !== null) return `host ${f.host} is already failing over`;
  if (last && isFailoverOpen(last)) return `failover ${last.failoverId} in progress`;
  if (last && last.phase === 'DONE' && last.detectedAt >= d.deployedAt)
    return `already failed over by ${last.failoverId} (to ${last.targetHost}); the deployment names the old primary until redeployed`;
  return undefined;
}
