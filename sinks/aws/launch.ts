/**
 * LAUNCH_LEVEL on AWS: capacity for each blueprint service of the command.
 * - A service with an Auto Scaling group: the group's desired capacity is set to the service's
 *   instances (naturally idempotent: setting the same number twice changes nothing).
 * - A service with a launch template: its instances are tagged with the service and primary region;
 *   only the shortfall is launched, with RunInstances under a client token derived from the
 *   failover, service, epoch and the count found, so a retry whose first call did launch (and whose
 *   instances are not yet visible to DescribeInstances) gets the same reservation back, not more.
 * With provisionOnly (the orchestrator's first command: all of the blueprint's capacity) every
 * service's capacity is requested at once and the command does not wait for it. Otherwise (a start
 * of services whose dependencies are ready) services start in DAG order — waves of the services'
 * `dependsOn` among themselves, a cycle's services together — and each wave waits until its
 * instances are in service / running.
 */

import { createHash } from 'node:crypto';
import {
  type AutoScalingGroup,
  CreateOrUpdateTagsCommand,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateTagsCommand, DescribeInstancesCommand, type Instance, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { permanentError } from '../framework/errors.js';
import type { Outcome, ServiceLaunch } from '../framework/types.js';
import { aws } from './aws-errors.js';
import { type AwsServiceMapping, serviceMapping } from './options.js';
import {
  epochOfTags,
  epochTags,
  FenceCheck,
  mapLimited,
  REGION_TAG,
  SERVICE_TAG,
  type StepContext,
  until,
} from './step.js';

/** AWS calls in flight at once for one command (the APIs throttle bursts per account). */
const PARALLEL = 4;

interface Planned {
  launch: ServiceLaunch;
  mapping: AwsServiceMapping;
}

function plan(s: StepContext): Planned[] {
  return s.cmd.services.map((launch) => {
    const mapping = serviceMapping(s.region, launch.service);
    if (!mapping) {
      throw permanentError(
        `no AWS mapping for service "${launch.service}" of ${s.cmd.primaryRegion}: add regions.${s.cmd.primaryRegion}.services.${launch.service} (autoScalingGroup or launchTemplate) or an autoScalingGroupPattern`,
        { service: launch.service },
      );
    }
    return { launch, mapping };
  });
}

/**
 * The start order: waves of services whose dependencies (among this command's services) are in
 * earlier waves; services left in a cycle start together in the last wave.
 */
export function startWaves<T extends { launch: { service: string }; mapping: { dependsOn: string[] } }>(
  items: readonly T[],
): T[][] {
  const names = new Set(items.map((i) => i.launch.service));
  const done = new Set<string>();
  let left = [...items];
  const waves: T[][] = [];
  while (left.length > 0) {
    const wave = left.filter((i) => i.mapping.dependsOn.every((d) => !names.has(d) || done.has(d)));
    const next = wave.length > 0 ? wave : left;
    waves.push(next);
    for (const i of next) done.add(i.launch.service);
    left = left.filter((i) => !next.includes(i));
  }
  return waves;
}

// ---- Auto Scaling groups ----------------------------------------------------------------------

async function describeGroups(s: StepContext, names: string[]): Promise<Map<string, AutoScalingGroup>> {
  const found = new Map<string, AutoScalingGroup>();
  for (let i = 0; i < names.length; i += 50) {
    const res = await aws('DescribeAutoScalingGroups', () =>
      s.clients.autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names.slice(i, i + 50) }),
      ),
    );
    for (const g of res.AutoScalingGroups ?? []) if (g.AutoScalingGroupName) found.set(g.AutoScalingGroupName, g);
  }
  return found;
}

function inService(g: AutoScalingGroup): number {
  return (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService' && i.HealthStatus !== 'Unhealthy').length;
}

async function scaleGroup(s: StepContext, p: Planned, g: AutoScalingGroup): Promise<string> {
  const name = g.AutoScalingGroupName ?? '';
  const want = p.launch.instances;
  if (want > (g.MaxSize ?? 0) || want < (g.MinSize ?? 0)) {
    throw permanentError(
      `service ${p.launch.service} needs ${want} instance(s) but Auto Scaling group ${name} allows ${g.MinSize}..${g.MaxSize}`,
      { service: p.launch.service, autoScalingGroup: name },
    );
  }
  await aws('CreateOrUpdateTags (Auto Scaling group)', () =>
    s.clients.autoScaling.send(
      new CreateOrUpdateTagsCommand({
        Tags: epochTags(s.cmd).map((t) => ({
          ...t,
          ResourceId: name,
          ResourceType: 'auto-scaling-group',
          PropagateAtLaunch: false,
        })),
      }),
    ),
  );
  const was = g.DesiredCapacity ?? 0;
  if (was !== want) {
    await aws(
      `SetDesiredCapacity ${name}`,
      () =>
        s.clients.autoScaling.send(
          new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: want, HonorCooldown: false }),
        ),
      { service: p.launch.service },
    );
  }
  return `${p.launch.service}: ASG ${name} desired ${want}${was === want ? ' (unchanged)' : ` (was ${was})`}`;
}

async function groupReady(s: StepContext, p: Planned, name: string): Promise<void> {
  await until(s, `Auto Scaling group ${name} (${p.launch.service})`, async () => {
    const g = (await describeGroups(s, [name])).get(name);
    if (!g) return 'group gone';
    const n = inService(g);
    return n >= p.launch.instances ? true : `${n}/${p.launch.instances} instance(s) in service`;
  });
}

// ---- launch-template instances ----------------------------------------------------------------

/** Pending or running instances launched for the service (found by their tags). */
export async function serviceInstances(s: StepContext, service: string): Promise<Instance[]> {
  const out: Instance[] = [];
  let token: string | undefined;
  do {
    const res = await aws('DescribeInstances', () =>
      s.clients.ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: `tag:${SERVICE_TAG}`, Values: [service] },
            { Name: `tag:${REGION_TAG}`, Values: [s.cmd.primaryRegion] },
            { Name: 'instance-state-name', Values: ['pending', 'running'] },
          ],
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    for (const r of res.Reservations ?? []) out.push(...(r.Instances ?? []));
    token = res.NextToken;
  } while (token);
  return out;
}

/** Same inputs, same token: at most 64 ASCII characters. */
function clientToken(s: StepContext, service: string, have: number): string {
  const basis = `${s.cmd.primaryRegion}|${s.cmd.failoverId}|${service}|${s.cmd.epoch}|${have}`;
  return `fs-${createHash('sha256').update(basis).digest('hex').slice(0, 48)}`;
}

async function runTemplate(s: StepContext, p: Planned, existing: Instance[]): Promise<string> {
  const t = p.mapping.launchTemplate;
  if (!t) throw permanentError(`service ${p.launch.service} has no launch template`);
  const ids = existing.map((i) => i.InstanceId ?? '').filter(Boolean);
  if (ids.length > 0) {
    await aws('CreateTags (instances)', () =>
      s.clients.ec2.send(new CreateTagsCommand({ Resources: ids, Tags: epochTags(s.cmd) })),
    );
  }
  const missing = p.launch.instances - existing.length;
  const template = t.launchTemplateId
    ? { LaunchTemplateId: t.launchTemplateId, Version: t.version }
    : { LaunchTemplateName: t.launchTemplateName, Version: t.version };
  if (missing <= 0) return `${p.launch.service}: ${existing.length} instance(s) of launch template already there`;
  const res = await aws(
    `RunInstances (${p.launch.service})`,
    () =>
      s.clients.ec2.send(
        new RunInstancesCommand({
          MinCount: missing,
          MaxCount: missing,
          LaunchTemplate: template,
          ...(t.subnetId ? { SubnetId: t.subnetId } : {}),
          ClientToken: clientToken(s, p.launch.service, existing.length),
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: [
                { Key: SERVICE_TAG, Value: p.launch.service },
                { Key: REGION_TAG, Value: s.cmd.primaryRegion },
                { Key: 'Name', Value: `${p.launch.service}-shadow` },
                ...epochTags(s.cmd),
              ],
            },
          ],
        }),
      ),
    { service: p.launch.service },
  );
  return `${p.launch.service}: launched ${res.Instances?.length ?? 0} instance(s) of ${t.launchTemplateId ?? t.launchTemplateName} (${existing.length} there)`;
}

async function instancesReady(s: StepContext, p: Planned): Promise<void> {
  await until(s, `instances of ${p.launch.service}`, async () => {
    const list = await serviceInstances(s, p.launch.service);
    const running = list.filter((i) => i.State?.Name === 'running').length;
    return running >= p.launch.instances ? true : `${running}/${p.launch.instances} running`;
  });
}

// ---- the step -------------------------------------------------------------------------------

export async function launch(s: StepContext): Promise<Outcome> {
  const planned = plan(s);
  // Look at everything first: a newer epoch anywhere refuses the whole command before any change.
  const groupNames = planned.flatMap((p) => (p.mapping.autoScalingGroup ? [p.mapping.autoScalingGroup] : []));
  const groups = await describeGroups(s, [...new Set(groupNames)]);
  const instances = new Map<string, Instance[]>();
  const fence = new FenceCheck(s.cmd.epoch);
  for (const p of planned) {
    const name = p.mapping.autoScalingGroup;
    if (name) {
      const g = groups.get(name);
      if (!g) {
        throw permanentError(
          `Auto Scaling group ${name} (service ${p.launch.service}) not found in ${s.region.awsRegion}`,
          {
            service: p.launch.service,
            autoScalingGroup: name,
          },
        );
      }
      fence.see(`Auto Scaling group ${name}`, epochOfTags(g.Tags));
    } else {
      const list = await serviceInstances(s, p.launch.service);
      instances.set(p.launch.service, list);
      for (const i of list) fence.see(`instance ${i.InstanceId}`, epochOfTags(i.Tags));
    }
  }
  const refused = fence.refusal();
  if (refused) return refused;

  const act = (p: Planned): Promise<string> => {
    const name = p.mapping.autoScalingGroup;
    const g = name ? groups.get(name) : undefined;
    return g ? scaleGroup(s, p, g) : runTemplate(s, p, instances.get(p.launch.service) ?? []);
  };
  const ready = (p: Planned): Promise<void> =>
    p.mapping.autoScalingGroup ? groupReady(s, p, p.mapping.autoScalingGroup) : instancesReady(s, p);

  const started = Date.now();
  const lines: string[] = [];
  if (s.cmd.provisionOnly) {
    lines.push(...(await mapLimited(planned, PARALLEL, act)));
  } else {
    for (const wave of startWaves(planned)) {
      lines.push(...(await mapLimited(wave, PARALLEL, act)));
      await mapLimited(wave, PARALLEL, ready);
    }
  }
  const total = planned.reduce((n, p) => n + p.launch.instances, 0);
  const what = s.cmd.provisionOnly ? 'requested' : `in service (level ${s.cmd.level})`;
  return {
    address: s.region.awsRegion,
    detail: `${total} instance(s) of ${planned.length} service(s) ${what} in ${Date.now() - started} ms; ${lines.join('; ')}`,
  };
}
