/**
 * REDIRECT_TRAFFIC on AWS.
 * - ELB: the shadow's instances of every service with LB pools are registered in the pools'
 *   target groups (RegisterTargets is idempotent); a service on an Auto Scaling group also gets
 *   the target groups attached to the group, so instances it launches later register themselves.
 * - Route 53: each mapped name moves to the shadow region — failover routing makes the shadow's
 *   record set PRIMARY (with its health check) and the old primary's SECONDARY; weighted routing
 *   gives the shadow `shadowWeight` and the old primary 0. A health check described in the config
 *   is created once (found again by its caller reference).
 *
 * Fencing at Route 53 is conditional at AWS: the epoch lives in TXT `_foreshadow-epoch.<name>`,
 * and the change batch that moves a name also DELETEs that TXT with the exact value read and
 * CREATEs it with the command's epoch. Route 53 applies a batch all or nothing and refuses a DELETE
 * whose value does not match (and a CREATE of a record that exists), so a redirect that read an
 * older epoch can never land after a newer one: the batch fails, the fence is read again on the
 * retry, and the command is answered REJECTED_STALE_EPOCH.
 */

import { createHash } from 'node:crypto';
import { AttachLoadBalancerTargetGroupsCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  AddTagsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  GetChangeCommand,
  type HealthCheck,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { permanentError, transientError } from '../framework/errors.js';
import type { Outcome } from '../framework/types.js';
import { aws, classifyAwsError, isAwsError } from './aws-errors.js';
import { serviceInstances } from './launch.js';
import { findTargetGroup, targetGroupTags } from './network.js';
import { type AwsRecordMapping, serviceMapping } from './options.js';
import { epochOfTags, epochTags, FenceCheck, type StepContext, until } from './step.js';

/** `name.` — Route 53 answers names fully qualified. */
export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** The TXT record holding a name's fencing epoch. */
export function epochRecordName(name: string): string {
  return fqdn(`_foreshadow-epoch.${name.replace(/\.$/, '')}`);
}

// ---- ELB registration -------------------------------------------------------------------------

interface Registration {
  service: string;
  pool: string;
  targetGroupArn: string;
  targetGroupName: string;
  instanceIds: string[];
  autoScalingGroup?: string;
}

async function instancesOf(s: StepContext, service: string): Promise<{ ids: string[]; group?: string }> {
  const m = serviceMapping(s.region, service);
  if (!m) return { ids: [] };
  if (m.autoScalingGroup) {
    const name = m.autoScalingGroup;
    const res = await aws('DescribeAutoScalingGroups', () =>
      s.clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })),
    );
    const g = res.AutoScalingGroups?.[0];
    if (!g) throw permanentError(`Auto Scaling group ${name} (service ${service}) not found`, { service });
    const ids = (g.Instances ?? [])
      .filter((i) => i.LifecycleState === 'InService' || i.LifecycleState === 'Pending')
      .map((i) => i.InstanceId ?? '')
      .filter(Boolean);
    return { ids, group: name };
  }
  const list = await serviceInstances(s, service);
  return { ids: list.map((i) => i.InstanceId ?? '').filter(Boolean) };
}

async function planRegistrations(s: StepContext): Promise<Registration[]> {
  const out: Registration[] = [];
  for (const [service, m] of Object.entries(s.region.services)) {
    if (m.lbPools.length === 0) continue;
    const { ids, group } = await instancesOf(s, service);
    for (const pool of m.lbPools) {
      const want = s.region.targetGroups[pool];
      if (!want) continue; // refused by the options' validation
      const tg = await findTargetGroup(s, want.name);
      if (!tg?.TargetGroupArn) {
        throw permanentError(
          `target group ${want.name} (LB pool ${pool}) not found: CONFIGURE_NETWORKING creates it before the redirect`,
          { pool },
        );
      }
      out.push({
        service,
        pool,
        targetGroupArn: tg.TargetGroupArn,
        targetGroupName: want.name,
        instanceIds: ids,
        ...(group ? { autoScalingGroup: group } : {}),
      });
    }
  }
  return out;
}

async function register(s: StepContext, r: Registration): Promise<number> {
  await aws(`AddTags (target group ${r.targetGroupName})`, () =>
    s.clients.elb.send(new AddTagsCommand({ ResourceArns: [r.targetGroupArn], Tags: epochTags(s.cmd) })),
  );
  if (r.autoScalingGroup) {
    const group = r.autoScalingGroup;
    await aws(`AttachLoadBalancerTargetGroups ${group}`, () =>
      s.clients.autoScaling.send(
        new AttachLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: group, TargetGroupARNs: [r.targetGroupArn] }),
      ),
    );
  }
  if (r.instanceIds.length === 0) return 0;
  await aws(`RegisterTargets ${r.targetGroupName}`, () =>
    s.clients.elb.send(
      new RegisterTargetsCommand({ TargetGroupArn: r.targetGroupArn, Targets: r.instanceIds.map((Id) => ({ Id })) }),
    ),
  );
  const health = await aws(`DescribeTargetHealth ${r.targetGroupName}`, () =>
    s.clients.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: r.targetGroupArn })),
  );
  const registered = new Set((health.TargetHealthDescriptions ?? []).map((d) => d.Target?.Id));
  const missing = r.instanceIds.filter((id) => !registered.has(id));
  if (missing.length > 0) {
    throw transientError(`target group ${r.targetGroupName} does not list ${missing.join(', ')} yet`, { pool: r.pool });
  }
  return r.instanceIds.length;
}

// ---- Route 53 ---------------------------------------------------------------------------------

export interface Fence {
  name: string;
  /** The TXT record as read (undefined: there is none yet). */
  current: ResourceRecordSet | undefined;
  epoch: number | undefined;
}

async function readFence(s: StepContext, r: AwsRecordMapping): Promise<Fence> {
  const name = epochRecordName(r.name);
  const res = await aws(`ListResourceRecordSets ${name}`, () =>
    s.route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: r.hostedZoneId,
        StartRecordName: name,
        StartRecordType: 'TXT',
        MaxItems: 1,
      }),
    ),
  );
  const set = res.ResourceRecordSets?.[0];
  const current = set && fqdn(set.Name ?? '') === name && set.Type === 'TXT' ? set : undefined;
  return { name, current, epoch: fenceEpoch(current?.ResourceRecords?.[0]?.Value) };
}

/**
 * The epoch TXT value: `"epoch=<n> by=<command id> at=<ISO time>"`. Who moved the name and when
 * is for operators; that every write is a new value is for the compare-and-set, whose CREATE must
 * never repeat an earlier change word for word (an emulator may refuse that as a duplicate).
 */
export function fenceValue(epoch: number, commandId: string, now: Date): string {
  return `"epoch=${epoch} by=${commandId.slice(0, 120)} at=${now.toISOString()}"`;
}

/** The epoch a fence TXT value holds (also a bare number), or undefined. */
export function fenceEpoch(value: string | undefined): number | undefined {
  const m = /^"?(?:epoch=)?(-?\d+)(?:[\s"]|$)/.exec(value ?? '');
  return m?.[1] !== undefined ? Number(m[1]) : undefined;
}

function healthCheckReference(s: StepContext, r: AwsRecordMapping): string {
  const basis = JSON.stringify([s.cmd.primaryRegion, fqdn(r.name), r.shadowSetIdentifier, r.healthCheck]);
  return `foreshadow-${createHash('sha256').update(basis).digest('hex').slice(0, 40)}`;
}

/** The record's health check id: configured, found by caller reference, or created. */
async function healthCheckId(s: StepContext, r: AwsRecordMapping): Promise<string | undefined> {
  if (r.healthCheckId) return r.healthCheckId;
  const hc = r.healthCheck;
  if (!hc) return undefined;
  const reference = healthCheckReference(s, r);
  let marker: string | undefined;
  do {
    const page = await aws('ListHealthChecks', () =>
      s.route53.send(new ListHealthChecksCommand(marker ? { Marker: marker } : {})),
    );
    const found = (page.HealthChecks ?? []).find((h: HealthCheck) => h.CallerReference === reference);
    if (found?.Id) return found.Id;
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker);
  const created = await aws(`CreateHealthCheck for ${r.name}`, () =>
    s.route53.send(
      new CreateHealthCheckCommand({
        CallerReference: reference,
        HealthCheckConfig: {
          Type: hc.type,
          Port: hc.port,
          RequestInterval: hc.requestInterval,
          FailureThreshold: hc.failureThreshold,
          ...(hc.ipAddress ? { IPAddress: hc.ipAddress } : {}),
          ...(hc.fqdn ? { FullyQualifiedDomainName: hc.fqdn } : {}),
          ...(hc.resourcePath && hc.type !== 'TCP' ? { ResourcePath: hc.resourcePath } : {}),
        },
      }),
    ),
  );
  return created.HealthCheck?.Id;
}

/** The UPSERTs that point the name at the shadow region. */
export function recordChanges(r: AwsRecordMapping, healthCheck: string | undefined): Change[] {
  const base = { Name: fqdn(r.name), Type: r.type, TTL: r.ttl };
  const values = (v: string[]): { Value: string }[] => v.map((Value) => ({ Value }));
  const shadow: ResourceRecordSet = {
    ...base,
    SetIdentifier: r.shadowSetIdentifier,
    ResourceRecords: values(r.shadowValues),
    ...(healthCheck ? { HealthCheckId: healthCheck } : {}),
    ...(r.routing === 'failover' ? { Failover: 'PRIMARY' } : { Weight: r.shadowWeight }),
  };
  const changes: Change[] = [{ Action: 'UPSERT', ResourceRecordSet: shadow }];
  if (r.primaryValues.length > 0) {
    changes.push({
      Action: 'UPSERT',
      ResourceRecordSet: {
        ...base,
        SetIdentifier: r.primarySetIdentifier,
        ResourceRecords: values(r.primaryValues),
        ...(r.routing === 'failover' ? { Failover: 'SECONDARY' } : { Weight: 0 }),
      },
    });
  }
  return changes;
}

/** The compare-and-set of the epoch TXT record: DELETE exactly what was read, CREATE the new one. */
export function fenceChanges(f: Fence, value: string): Change[] {
  const next: Change = {
    Action: 'CREATE',
    ResourceRecordSet: { Name: f.name, Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: value }] },
  };
  return f.current ? [{ Action: 'DELETE', ResourceRecordSet: f.current }, next] : [next];
}

async function moveRecord(s: StepContext, r: AwsRecordMapping, fence: Fence | undefined): Promise<string> {
  const hc = await healthCheckId(s, r);
  const changes = [
    ...recordChanges(r, hc),
    ...(fence ? fenceChanges(fence, fenceValue(s.cmd.epoch, s.cmd.commandId, new Date())) : []),
  ];
  let changeId: string | undefined;
  try {
    const res = await s.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: r.hostedZoneId,
        ChangeBatch: { Comment: `foreshadow ${s.cmd.failoverId} epoch ${s.cmd.epoch}`, Changes: changes },
      }),
    );
    changeId = res.ChangeInfo?.Id;
  } catch (err: unknown) {
    if (fence && isAwsError(err, 'InvalidChangeBatch', 'InvalidInput')) {
      // Refused as a whole: if the epoch record moved since it was read, read it again on the retry.
      const now = await readFence(s, r);
      if (now.epoch !== fence.epoch) {
        throw transientError(
          `${fence.name} changed (epoch ${fence.epoch} → ${now.epoch}) while redirecting ${r.name}`,
          {
            name: r.name,
          },
        );
      }
    }
    throw classifyAwsError(err, `ChangeResourceRecordSets ${r.name}`);
  }
  if (changeId) {
    const id = changeId;
    await until(s, `Route 53 change ${id} (${r.name})`, async () => {
      const c = await aws('GetChange', () => s.route53.send(new GetChangeCommand({ Id: id })));
      return c.ChangeInfo?.Status === 'INSYNC' ? true : `status ${c.ChangeInfo?.Status}`;
    });
  }
  return `${fqdn(r.name)} ${r.type} ${r.routing} → ${r.shadowValues.join(',')}${hc ? ` (health check ${hc})` : ''}`;
}

// ---- the step -------------------------------------------------------------------------------

export async function redirect(s: StepContext): Promise<Outcome> {
  const registrations = await planRegistrations(s);
  const tags = await targetGroupTags(s, [...new Set(registrations.map((r) => r.targetGroupArn))]);
  const fences = new Map<AwsRecordMapping, Fence>();
  for (const r of s.region.records) if (r.fence) fences.set(r, await readFence(s, r));

  const check = new FenceCheck(s.cmd.epoch);
  for (const r of registrations)
    check.see(`target group ${r.targetGroupName}`, epochOfTags(tags.get(r.targetGroupArn)));
  for (const f of fences.values()) check.see(f.name, f.epoch);
  const refused = check.refusal();
  if (refused) return refused;

  let targets = 0;
  for (const r of registrations) targets += await register(s, r);
  const moved: string[] = [];
  for (const r of s.region.records) moved.push(await moveRecord(s, r, fences.get(r)));
  return {
    address: s.region.records[0] ? fqdn(s.region.records[0].name) : s.region.awsRegion,
    detail: `${targets} target registration(s) in ${registrations.length} target group(s); ${moved.join('; ') || 'no DNS records mapped'}`,
  };
}
