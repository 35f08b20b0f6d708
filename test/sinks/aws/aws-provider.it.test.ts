/**
 * The AWS actuator end to end: failover commands on real Kafka topics → the real ActuatorConsumer
 * (ledger, fencing, retries) → AwsProvider → the AWS SDK v3 → moto's server mode (an AWS API
 * emulator on loopback). Every step's effect is read back through the AWS API: Auto Scaling desired
 * capacity and instances, launch-template instances, security-group rules, target groups and their
 * registrations, Route 53 record sets and health checks, RDS replica promotion and creation.
 */

import { randomUUID } from 'node:crypto';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  StartDBInstanceCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetHealthCheckCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsProvider, type AwsProviderOptions } from '../../../sinks/aws/aws-provider.js';
import type { FailoverCommand, ServiceLaunch } from '../../../sinks/framework/types.js';
import { ActuatorHarness, failoverCommand } from '../support.js';
import { type Moto, startMoto } from './moto.js';

const AWS_REGION = 'eu-central-1';
const PRIMARY = 'eu-west';
const SHADOW = 'eu-central';
const ZONE = 'example.test';

const svc = (service: string, instances: number): ServiceLaunch => ({
  service,
  instances,
  cpuPerInstance: 1,
  memoryMbPerInstance: 512,
  configRef: '',
});

interface World {
  vpcId: string;
  subnetId: string;
  sg: { api: string; cache: string; worker: string };
  zoneId: string;
}

describe('AWS actuator on moto through Kafka', () => {
  let moto: Moto;
  let world: World;
  let harness: ActuatorHarness;
  let ec2: EC2Client;
  let asg: AutoScalingClient;
  let elb: ElasticLoadBalancingV2Client;
  let rds: RDSClient;
  let r53: Route53Client;

  const cmd = (partial: Partial<FailoverCommand> & Pick<FailoverCommand, 'type'>): FailoverCommand =>
    failoverCommand({
      primaryRegion: PRIMARY,
      shadowRegion: SHADOW,
      failoverId: `rf:${PRIMARY}:e1`,
      epoch: 1,
      ...partial,
    });

  const run = async (c: FailoverCommand) => {
    await harness.sendFailover(c);
    return harness.result(c.commandId);
  };

  const group = async (name: string) =>
    (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];

  const workerInstances = async () => {
    const res = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:foreshadow:service', Values: ['worker'] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  };

  const recordSets = async (name: string): Promise<ResourceRecordSet[]> => {
    const res = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: world.zoneId }));
    return (res.ResourceRecordSets ?? []).filter((r) => r.Name === `${name}.`);
  };

  /** Builds the shadow region's fixtures the way an operator's IaC would have. */
  async function buildWorld(): Promise<World> {
    const vpcId = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] })))
      .Vpcs?.[0]?.VpcId;
    const subnetId = (
      await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId ?? ''] }] }))
    ).Subnets?.[0]?.SubnetId;
    const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId;
    if (!vpcId || !subnetId || !imageId) throw new Error('moto has no default VPC, subnet or image');
    const data = { ImageId: imageId, InstanceType: 't3.micro' as const };
    for (const name of ['lt-api', 'lt-cache', 'lt-worker']) {
      await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: data }));
    }
    for (const [name, lt] of [
      ['shadow-api', 'lt-api'],
      ['shadow-cache', 'lt-cache'],
    ] as const) {
      await asg.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: name,
          LaunchTemplate: { LaunchTemplateName: lt, Version: '$Default' },
          MinSize: 0,
          MaxSize: 6,
          DesiredCapacity: 0,
          VPCZoneIdentifier: subnetId,
        }),
      );
    }
    const sg = async (name: string) =>
      (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpcId }))).GroupId ??
      '';
    const sgs = { api: await sg('shadow-api'), cache: await sg('shadow-cache'), worker: await sg('shadow-worker') };
    const zone = await r53.send(new CreateHostedZoneCommand({ Name: ZONE, CallerReference: randomUUID() }));
    const zoneId = zone.HostedZone?.Id ?? '';
    // Before the failover the primary region answers as the PRIMARY failover record.
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: `api.${ZONE}`,
                Type: 'A',
                TTL: 60,
                SetIdentifier: 'foreshadow-primary',
                Failover: 'PRIMARY',
                ResourceRecords: [{ Value: '198.51.100.10' }],
              },
            },
          ],
        },
      }),
    );
    // The orders database: a primary and its read replica in the shadow region.
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'orders-primary',
        Engine: 'postgres',
        DBInstanceClass: 'db.t3.micro',
        AllocatedStorage: 20,
        MasterUsername: 'foreshadow',
        MasterUserPassword: 'not-a-secret-1',
      }),
    );
    await rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: 'orders-shadow',
        SourceDBInstanceIdentifier: 'orders-primary',
        DBInstanceClass: 'db.t3.micro',
      }),
    );
    return { vpcId, subnetId, sg: sgs, zoneId };
  }

  function options(w: World): AwsProviderOptions {
    return {
      name: 'aws',
      endpoint: moto.endpoint,
      readyTimeoutMs: 20_000,
      pollIntervalMs: 200,
      regions: {
        [PRIMARY]: {
          awsRegion: AWS_REGION,
          shadowRegion: SHADOW,
          autoScalingGroupPattern: 'shadow-{service}',
          services: {
            api: {
              autoScalingGroup: 'shadow-api',
              ports: [8080],
              dependsOn: ['cache'],
              securityGroupId: w.sg.api,
              ingressCidrs: ['10.0.0.0/16'],
              lbPools: ['web'],
            },
            // No ASG named: the pattern gives shadow-cache.
            cache: { ports: [6379], securityGroupId: w.sg.cache },
            worker: {
              launchTemplate: { launchTemplateName: 'lt-worker', subnetId: w.subnetId },
              dependsOn: ['cache'],
              securityGroupId: w.sg.worker,
            },
          },
          targetGroups: { web: { name: 'fs-web', vpcId: w.vpcId, port: 8080, healthCheckPath: '/health' } },
          records: [
            {
              hostedZoneId: w.zoneId,
              name: `api.${ZONE}`,
              type: 'A',
              routing: 'failover',
              shadowValues: ['198.51.100.20'],
              primaryValues: ['198.51.100.10'],
              healthCheck: { type: 'HTTP', ipAddress: '198.51.100.20', port: 80, resourcePath: '/health' },
            },
            {
              hostedZoneId: w.zoneId,
              name: `www.${ZONE}`,
              type: 'CNAME',
              routing: 'weighted',
              shadowValues: [`lb-shadow.${ZONE}`],
              primaryValues: [`lb-primary.${ZONE}`],
            },
          ],
          databases: [
            // moto 5.2 never clears ReadReplicaSourceDBInstanceIdentifier after a promotion.
            {
              action: 'promote',
              dbInstanceIdentifier: 'orders-shadow',
              backupRetentionPeriod: 3,
              awaitPromotion: false,
            },
            {
              action: 'create-replica',
              dbInstanceIdentifier: 'orders-replica',
              sourceDbInstanceIdentifier: 'orders-shadow',
            },
          ],
        },
      },
    };
  }

  beforeAll(async () => {
    moto = await startMoto();
    // The SDK's standard credential chain, from the environment: moto accepts any key.
    process.env.AWS_ACCESS_KEY_ID = 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = 'testing';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    const config = { region: AWS_REGION, endpoint: moto.endpoint };
    ec2 = new EC2Client(config);
    asg = new AutoScalingClient(config);
    elb = new ElasticLoadBalancingV2Client(config);
    rds = new RDSClient(config);
    r53 = new Route53Client({ ...config, region: 'us-east-1' });
    world = await buildWorld();
    harness = new ActuatorHarness(new AwsProvider(options(world)));
    await harness.start();
  });

  afterAll(async () => {
    await harness?.stop();
    for (const c of [ec2, asg, elb, rds, r53]) c?.destroy();
    await moto?.stop();
  });

  it('LAUNCH_LEVEL provisionOnly sets every ASG desired capacity and runs launch-template instances at once', async () => {
    const provision = cmd({
      type: 'LAUNCH_LEVEL',
      provisionOnly: true,
      services: [svc('cache', 1), svc('api', 2), svc('worker', 2)],
    });
    const r = await run(provision);
    expect(r.status, r.detail).toBe('SUCCEEDED');
    expect(r.provider).toBe('aws');
    expect((await group('shadow-api'))?.DesiredCapacity).toBe(2);
    expect((await group('shadow-cache'))?.DesiredCapacity).toBe(1);
    const workers = await workerInstances();
    expect(workers).toHaveLength(2);
    expect(workers[0]?.Tags).toEqual(expect.arrayContaining([{ Key: 'foreshadow:epoch', Value: '1' }]));
    expect((await group('shadow-api'))?.Tags).toEqual(
      expect.arrayContaining([expect.objectContaining({ Key: 'foreshadow:epoch', Value: '1' })]),
    );

    // Redelivered: answered from the ledger, nothing launched again.
    await harness.sendFailover(provision);
    const dup = await harness.result(provision.commandId, 'DUPLICATE');
    expect(dup.detail).toContain('already handled: SUCCEEDED');
    // Re-sent by the orchestrator as a new attempt (new command id): the provider converges.
    const again = await run({ ...provision, commandId: `${provision.commandId}:a2` });
    expect(again.status, again.detail).toBe('SUCCEEDED');
    expect(again.detail).toContain('already there');
    expect(await workerInstances()).toHaveLength(2);
    expect((await group('shadow-api'))?.DesiredCapacity).toBe(2);
  });

  it('LAUNCH_LEVEL starts services in DAG order and waits until their instances are in service', async () => {
    const r = await run(cmd({ type: 'LAUNCH_LEVEL', level: 0, services: [svc('api', 2), svc('cache', 1)] }));
    expect(r.status, r.detail).toBe('SUCCEEDED');
    // cache before api (api depends on cache), both in service.
    expect(r.detail.indexOf('cache:')).toBeLessThan(r.detail.indexOf('api:'));
    expect(r.detail).toContain('in service');
    const api = await group('shadow-api');
    expect(api?.Instances?.filter((i) => i.LifecycleState === 'InService')).toHaveLength(2);
    const w = await run(cmd({ type: 'LAUNCH_LEVEL', level: 1, services: [svc('worker', 2)] }));
    expect(w.status, w.detail).toBe('SUCCEEDED');
    const workers = await workerInstances();
    expect(workers.filter((i) => i.State?.Name === 'running')).toHaveLength(2);
  });

  it('CONFIGURE_NETWORKING opens the dependency ports between security groups and creates the target group', async () => {
    const r = await run(cmd({ type: 'CONFIGURE_NETWORKING' }));
    expect(r.status, r.detail).toBe('SUCCEEDED');
    const groups = (
      await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [world.sg.api, world.sg.cache, world.sg.worker] }))
    ).SecurityGroups;
    const cache = groups?.find((g) => g.GroupId === world.sg.cache);
    const sources = (cache?.IpPermissions ?? [])
      .filter((p) => p.FromPort === 6379 && p.ToPort === 6379)
      .flatMap((p) => p.UserIdGroupPairs ?? [])
      .map((p) => p.GroupId)
      .sort();
    expect(sources).toEqual([world.sg.api, world.sg.worker].sort());
    const api = groups?.find((g) => g.GroupId === world.sg.api);
    const cidrs = (api?.IpPermissions ?? []).filter((p) => p.FromPort === 8080).flatMap((p) => p.IpRanges ?? []);
    expect(cidrs.map((c) => c.CidrIp)).toEqual(['10.0.0.0/16']);
    expect(cache?.Tags).toEqual(expect.arrayContaining([{ Key: 'foreshadow:epoch', Value: '1' }]));
    const tg = (await elb.send(new DescribeTargetGroupsCommand({ Names: ['fs-web'] }))).TargetGroups?.[0];
    expect(tg?.Port).toBe(8080);
    expect(tg?.VpcId).toBe(world.vpcId);
    expect(tg?.HealthCheckPath).toBe('/health');

    // A second run (new attempt) finds every rule and the target group in place.
    const again = await run(cmd({ type: 'CONFIGURE_NETWORKING' }));
    expect(again.detail).toContain('(0 added)');
    expect(again.detail).toContain('(0 created)');
  });

  it('REDIRECT_TRAFFIC registers the instances in the target group and moves the Route 53 records', async () => {
    const r = await run(cmd({ type: 'REDIRECT_TRAFFIC' }));
    expect(r.status, r.detail).toBe('SUCCEEDED');
    expect(r.address).toBe(`api.${ZONE}.`);
    const tg = (await elb.send(new DescribeTargetGroupsCommand({ Names: ['fs-web'] }))).TargetGroups?.[0];
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg?.TargetGroupArn }));
    const registered = (health.TargetHealthDescriptions ?? []).map((d) => d.Target?.Id).sort();
    const apiIds = ((await group('shadow-api'))?.Instances ?? []).map((i) => i.InstanceId).sort();
    expect(registered).toEqual(apiIds);
    expect(registered).toHaveLength(2);

    const api = await recordSets(`api.${ZONE}`);
    const primary = api.find((s) => s.Failover === 'PRIMARY');
    const secondary = api.find((s) => s.Failover === 'SECONDARY');
    expect(primary?.SetIdentifier).toBe('foreshadow-shadow');
    expect(primary?.ResourceRecords?.map((v) => v.Value)).toEqual(['198.51.100.20']);
    expect(secondary?.ResourceRecords?.map((v) => v.Value)).toEqual(['198.51.100.10']);
    expect(primary?.HealthCheckId).toBeTruthy();
    const hc = await r53.send(new GetHealthCheckCommand({ HealthCheckId: primary?.HealthCheckId }));
    expect(hc.HealthCheck?.HealthCheckConfig?.IPAddress).toBe('198.51.100.20');
    expect(hc.HealthCheck?.HealthCheckConfig?.ResourcePath).toBe('/health');

    const www = await recordSets(`www.${ZONE}`);
    const weights = Object.fromEntries(www.map((s) => [s.ResourceRecords?.[0]?.Value, s.Weight]));
    expect(weights).toEqual({ [`lb-shadow.${ZONE}`]: 100, [`lb-primary.${ZONE}`]: 0 });
    const fence = await recordSets(`_foreshadow-epoch.api.${ZONE}`);
    expect(fence.map((s) => s.ResourceRecords?.[0]?.Value)).toEqual([expect.stringMatching(/^"epoch=1 by=fo-/)]);

    // Again (a new attempt): the same health check is found, not a second one created.
    const again = await run(cmd({ type: 'REDIRECT_TRAFFIC' }));
    expect(again.status, again.detail).toBe('SUCCEEDED');
    expect((await recordSets(`api.${ZONE}`)).find((s) => s.Failover === 'PRIMARY')?.HealthCheckId).toBe(
      primary?.HealthCheckId,
    );
  });

  it('START_REPLICATION promotes the read replica and creates a new replica of it', async () => {
    const describe = async (id: string) =>
      (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    expect((await describe('orders-shadow'))?.ReadReplicaSourceDBInstanceIdentifier).toContain('orders-primary');
    // RDS refuses to stop a read replica (moto too): the way to see the promotion on moto, which
    // keeps reporting the replica's former source.
    await expect(rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'orders-shadow' }))).rejects.toThrow();

    const r = await run(cmd({ type: 'START_REPLICATION' }));
    expect(r.status, r.detail).toBe('SUCCEEDED');
    expect(r.detail).toContain('orders-shadow: promoted (was a replica of orders-primary)');
    expect(r.detail).toContain('orders-replica: replica of orders-shadow created');
    const promoted = await describe('orders-shadow');
    expect(promoted?.DBInstanceStatus).toBe('available');
    expect(promoted?.BackupRetentionPeriod).toBe(3);
    expect(promoted?.TagList).toEqual(expect.arrayContaining([{ Key: 'foreshadow:epoch', Value: '1' }]));
    const replica = await describe('orders-replica');
    expect(replica?.ReadReplicaSourceDBInstanceIdentifier).toBe('orders-shadow');
    expect(replica?.DBInstanceStatus).toBe('available');

    // Again (a new attempt): the replica is found, not created twice.
    const again = await run(cmd({ type: 'START_REPLICATION' }));
    expect(again.status, again.detail).toBe('SUCCEEDED');
    expect(again.detail).toContain('orders-replica: replica of orders-shadow already there');

    // The promoted instance is a standalone primary now: RDS lets it be stopped.
    const stopped = await rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'orders-shadow' }));
    expect(stopped.DBInstance?.DBInstanceStatus).toBe('stopped');
    await rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: 'orders-shadow' }));
  });

  it('refuses a stale epoch (ledger) and fails a command naming an unknown Auto Scaling group, without crashing', async () => {
    const stale = await run(
      cmd({ type: 'LAUNCH_LEVEL', epoch: 0, failoverId: `rf:${PRIMARY}:e0`, services: [svc('api', 5)] }),
    );
    expect(stale.status).toBe('REJECTED_STALE_EPOCH');
    expect(stale.detail).toContain('older than last applied epoch 1');
    expect((await group('shadow-api'))?.DesiredCapacity).toBe(2);

    const ghost = await run(cmd({ type: 'LAUNCH_LEVEL', services: [svc('ghost', 1)] }));
    expect(ghost.status).toBe('FAILED');
    expect(ghost.retriable).toBe(false);
    expect(ghost.detail).toContain('shadow-ghost');
    expect(ghost.detail).toContain('not found');

    // The actuator is still there.
    const ok = await run(cmd({ type: 'CONFIGURE_NETWORKING' }));
    expect(ok.status, ok.detail).toBe('SUCCEEDED');
  });

  it('a second actuator with a ledger of its own is refused a stale epoch by the epochs the resources carry', async () => {
    const other = new ActuatorHarness(new AwsProvider(options(world)));
    await other.start();
    try {
      const send = async (c: FailoverCommand) => {
        await other.sendFailover(c);
        return other.result(c.commandId);
      };
      const old = { epoch: 0, failoverId: `rf:${PRIMARY}:e0` };
      const redirect = await send(cmd({ type: 'REDIRECT_TRAFFIC', ...old }));
      expect(redirect.status).toBe('REJECTED_STALE_EPOCH');
      expect(redirect.detail).toContain(`_foreshadow-epoch.api.${ZONE}. (epoch 1)`);
      const launch = await send(cmd({ type: 'LAUNCH_LEVEL', ...old, services: [svc('api', 4)] }));
      expect(launch.status).toBe('REJECTED_STALE_EPOCH');
      expect(launch.detail).toContain('Auto Scaling group shadow-api (epoch 1)');
      const replicate = await send(cmd({ type: 'START_REPLICATION', ...old }));
      expect(replicate.status).toBe('REJECTED_STALE_EPOCH');
      // Nothing moved.
      expect((await group('shadow-api'))?.DesiredCapacity).toBe(2);
      const api = await recordSets(`api.${ZONE}`);
      expect(api.find((s) => s.Failover === 'PRIMARY')?.ResourceRecords?.[0]?.Value).toBe('198.51.100.20');
    } finally {
      await other.stop();
    }
  });
});
