/**
 * CONFIGURE_NETWORKING on AWS.
 * - Security groups: every mapped service with a security group and ports gets ingress on those
 *   ports (TCP) from the security group of each service that depends on it (the blueprint's
 *   dependency edges), and from its `ingressCidrs`. Rules already present are left alone; a rule
 *   added meanwhile by someone else (InvalidPermission.Duplicate) counts as present.
 * - Target groups: every LB pool's target group is ensured (created when missing; an existing
 *   group with another port, protocol or VPC is a permanent error, not silently reused).
 * Both are tagged with the command's epoch (step.ts) after the fence check.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateTagsCommand,
  DescribeSecurityGroupsCommand,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import {
  AddTagsCommand,
  CreateTargetGroupCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { permanentError } from '../framework/errors.js';
import type { Outcome } from '../framework/types.js';
import { aws, classifyAwsError, isAwsError } from './aws-errors.js';
import type { AwsRegionMapping, AwsTargetGroupMapping } from './options.js';
import { epochOfTags, epochTags, FenceCheck, type StepContext, type Tag } from './step.js';

/** One TCP ingress rule: port from a security group or a CIDR block. */
export interface IngressRule {
  groupId: string;
  port: number;
  from: { groupId: string } | { cidr: string };
}

/** The rules the mapping asks for: dependents' groups and extra CIDRs to each service's ports. */
export function desiredIngress(r: AwsRegionMapping): IngressRule[] {
  const rules: IngressRule[] = [];
  for (const [name, s] of Object.entries(r.services)) {
    if (!s.securityGroupId) continue;
    const dependents = Object.values(r.services).filter(
      (d) => d.dependsOn.includes(name) && d.securityGroupId && d.securityGroupId !== s.securityGroupId,
    );
    for (const port of s.ports) {
      for (const d of dependents)
        rules.push({ groupId: s.securityGroupId, port, from: { groupId: d.securityGroupId ?? '' } });
      for (const cidr of s.ingressCidrs) rules.push({ groupId: s.securityGroupId, port, from: { cidr } });
    }
  }
  const seen = new Set<string>();
  return rules.filter((rule) => {
    const key = JSON.stringify(rule);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** True when the group's permissions already allow the rule. */
export function hasRule(permissions: readonly IpPermission[], rule: IngressRule): boolean {
  return permissions.some((p) => {
    const proto = p.IpProtocol === '-1' || p.IpProtocol === 'tcp' || p.IpProtocol === '6';
    const covers = p.IpProtocol === '-1' || ((p.FromPort ?? 0) <= rule.port && rule.port <= (p.ToPort ?? -1));
    if (!proto || !covers) return false;
    if ('groupId' in rule.from) {
      const gid = rule.from.groupId;
      return (p.UserIdGroupPairs ?? []).some((g) => g.GroupId === gid);
    }
    const cidr = rule.from.cidr;
    return (p.IpRanges ?? []).some((x) => x.CidrIp === cidr) || (p.Ipv6Ranges ?? []).some((x) => x.CidrIpv6 === cidr);
  });
}

function permission(rule: IngressRule): IpPermission {
  const base = { IpProtocol: 'tcp', FromPort: rule.port, ToPort: rule.port };
  if ('groupId' in rule.from) return { ...base, UserIdGroupPairs: [{ GroupId: rule.from.groupId }] };
  const cidr = rule.from.cidr;
  return cidr.includes(':') ? { ...base, Ipv6Ranges: [{ CidrIpv6: cidr }] } : { ...base, IpRanges: [{ CidrIp: cidr }] };
}

async function describeGroups(s: StepContext, ids: string[]): Promise<Map<string, SecurityGroup>> {
  if (ids.length === 0) return new Map();
  const res = await aws('DescribeSecurityGroups', () =>
    s.clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ids })),
  );
  return new Map((res.SecurityGroups ?? []).map((g) => [g.GroupId ?? '', g]));
}

async function authorize(s: StepContext, rule: IngressRule): Promise<boolean> {
  try {
    await s.clients.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: rule.groupId, IpPermissions: [permission(rule)] }),
    );
    return true;
  } catch (err: unknown) {
    if (isAwsError(err, 'InvalidPermission.Duplicate')) return false;
    throw classifyAwsError(err, `AuthorizeSecurityGroupIngress ${rule.groupId} port ${rule.port}`);
  }
}

/** The target group of that name, or undefined when there is none. */
export async function findTargetGroup(s: StepContext, name: string): Promise<TargetGroup | undefined> {
  try {
    const res = await s.clients.elb.send(new DescribeTargetGroupsCommand({ Names: [name] }));
    return res.TargetGroups?.[0];
  } catch (err: unknown) {
    if (isAwsError(err, 'TargetGroupNotFoundException', 'TargetGroupNotFound')) return undefined;
    throw classifyAwsError(err, `DescribeTargetGroups ${name}`);
  }
}

export async function targetGroupTags(s: StepContext, arns: string[]): Promise<Map<string, Tag[]>> {
  const out = new Map<string, Tag[]>();
  for (let i = 0; i < arns.length; i += 20) {
    const res = await aws('DescribeTags (target groups)', () =>
      s.clients.elb.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) })),
    );
    for (const d of res.TagDescriptions ?? []) out.set(d.ResourceArn ?? '', d.Tags ?? []);
  }
  return out;
}

function mismatch(tg: TargetGroup, want: AwsTargetGroupMapping): string | undefined {
  if (tg.VpcId !== want.vpcId) return `VPC ${tg.VpcId}, not ${want.vpcId}`;
  if (tg.Port !== want.port) return `port ${tg.Port}, not ${want.port}`;
  if (tg.Protocol !== want.protocol) return `protocol ${tg.Protocol}, not ${want.protocol}`;
  return undefined;
}

export async function configureNetworking(s: StepContext): Promise<Outcome> {
  const rules = desiredIngress(s.region);
  const groupIds = [...new Set(rules.map((r) => r.groupId))];
  const groups = await describeGroups(s, groupIds);
  const pools = Object.entries(s.region.targetGroups);
  const found = new Map<string, TargetGroup>();
  for (const [pool, want] of pools) {
    const tg = await findTargetGroup(s, want.name);
    if (!tg) continue;
    const wrong = mismatch(tg, want);
    if (wrong) {
      throw permanentError(`target group ${want.name} (LB pool ${pool}) exists with ${wrong}`, { pool });
    }
    found.set(pool, tg);
  }
  const tags = await targetGroupTags(
    s,
    [...found.values()].map((t) => t.TargetGroupArn ?? ''),
  );

  const fence = new FenceCheck(s.cmd.epoch);
  for (const g of groups.values()) fence.see(`security group ${g.GroupId}`, epochOfTags(g.Tags));
  for (const t of found.values())
    fence.see(`target group ${t.TargetGroupName}`, epochOfTags(tags.get(t.TargetGroupArn ?? '')));
  const refused = fence.refusal();
  if (refused) return refused;

  if (groupIds.length > 0) {
    await aws('CreateTags (security groups)', () =>
      s.clients.ec2.send(new CreateTagsCommand({ Resources: groupIds, Tags: epochTags(s.cmd) })),
    );
  }
  let added = 0;
  for (const rule of rules) {
    const present = hasRule(groups.get(rule.groupId)?.IpPermissions ?? [], rule);
    if (!present && (await authorize(s, rule))) added++;
  }

  let created = 0;
  for (const [pool, want] of pools) {
    const tg = found.get(pool);
    if (tg) {
      await aws(`AddTags (target group ${want.name})`, () =>
        s.clients.elb.send(new AddTagsCommand({ ResourceArns: [tg.TargetGroupArn ?? ''], Tags: epochTags(s.cmd) })),
      );
      continue;
    }
    await aws(`CreateTargetGroup ${want.name}`, () =>
      s.clients.elb.send(
        new CreateTargetGroupCommand({
          Name: want.name,
          Protocol: want.protocol,
          Port: want.port,
          VpcId: want.vpcId,
          TargetType: 'instance',
          ...(want.healthCheckPath ? { HealthCheckPath: want.healthCheckPath } : {}),
          Tags: epochTags(s.cmd),
        }),
      ),
    );
    created++;
  }
  return {
    address: s.region.awsRegion,
    detail: `${rules.length} ingress rule(s) on ${groupIds.length} security group(s) (${added} added); ${pools.length} target group(s) (${created} created)`,
  };
}
