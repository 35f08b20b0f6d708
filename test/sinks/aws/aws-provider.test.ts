/**
 * The AWS actuator's pure parts: config validation (clear messages naming the field), the start
 * order of a LAUNCH, the ingress rules derived from the blueprint's dependencies, the Route 53
 * changes and epoch fence, RDS readiness, and the classification of AWS errors.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../../sinks/aws/aws-errors.js';
import { AwsProvider } from '../../../sinks/aws/aws-provider.js';
import { startWaves } from '../../../sinks/aws/launch.js';
import { desiredIngress, hasRule } from '../../../sinks/aws/network.js';
import { type AwsRegionMapping, parseAwsOptions, serviceMapping } from '../../../sinks/aws/options.js';
import { epochRecordName, fenceChanges, fenceEpoch, fenceValue, recordChanges } from '../../../sinks/aws/redirect.js';
import { instanceReady, replicatesFrom } from '../../../sinks/aws/replicate.js';
import { epochOfTags, FenceCheck } from '../../../sinks/aws/step.js';
import { createProvider } from '../../../sinks/providers.js';
import { readProviderOptions } from '../../../sinks/run-actuator.js';
import { ConfigError, ForeshadowError } from '../../../streams/runtime/errors.js';
import { failoverCommand } from '../support.js';

const minimal = { regions: { 'eu-west': { awsRegion: 'eu-central-1' } } };

function region(partial: object): AwsRegionMapping {
  const parsed = parseAwsOptions({ regions: { r: { awsRegion: 'eu-central-1', ...partial } } }).regions.r;
  if (!parsed) throw new Error('no region');
  return parsed;
}

/** An AWS SDK service exception as the SDK builds it. */
function awsError(name: string, status: number, fault: 'client' | 'server' = 'client'): Error {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status, requestId: 'req-1' },
  });
}

describe('AWS actuator config', () => {
  it('accepts a minimal mapping and fills the defaults', () => {
    const o = parseAwsOptions(minimal);
    expect(o.name).toBe('aws');
    expect(o.endpoint).toBeUndefined();
    expect(o.regions['eu-west']?.services).toEqual({});
    expect(new AwsProvider(minimal).name).toBe('aws');
    expect(createProvider('aws', minimal).name).toBe('aws');
  });

  it('accepts the documented example config (docs/examples/aws-actuator.yaml)', () => {
    const file = fileURLToPath(new URL('../../../docs/examples/aws-actuator.yaml', import.meta.url));
    const o = parseAwsOptions(readProviderOptions(file));
    const r = o.regions['eu-west'];
    expect(r?.services.worker?.launchTemplate?.version).toBe('$Default');
    expect(r?.records.map((x) => x.routing)).toEqual(['failover', 'weighted']);
    expect(r?.databases.map((d) => d.action)).toEqual(['promote', 'create-replica']);
    expect(o.endpoint).toBeUndefined();
  });

  it('refuses a bad file with every problem named by its field path', () => {
    const bad = {
      endpoint: 'not a url',
      regions: {
        'eu-west': {
          awsRegion: 'eu-central-1',
          services: {
            api: { autoScalingGroup: 'a', launchTemplate: { launchTemplateName: 'lt' }, dependsOn: ['nope'] },
            web: { lbPools: ['missing'], ingressCidrs: ['10.0.0.0/8'] },
          },
          records: [
            { hostedZoneId: 'Z1', name: 'a.example', type: 'A', routing: 'failover', shadowValues: ['1.2.3.4'] },
          ],
        },
      },
    };
    let err: unknown;
    try {
      parseAwsOptions(bad);
    } catch (e: unknown) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toContain('endpoint:');
    expect(msg).toContain('regions.eu-west.services.api: give autoScalingGroup or launchTemplate, not both');
    expect(msg).toContain('regions.eu-west.records.0.primaryValues: failover routing needs primaryValues');
    expect(() => parseAwsOptions({ regions: {} })).toThrow('regions: map at least one primary region');
  });

  it('checks cross references once the fields themselves are valid', () => {
    const bad = {
      regions: {
        r: {
          awsRegion: 'eu-central-1',
          services: { api: { dependsOn: ['nope'] }, web: { lbPools: ['missing'], ingressCidrs: ['10.0.0.0/8'] } },
        },
      },
    };
    expect(() => parseAwsOptions(bad)).toThrow('regions.r.services.api.dependsOn: unknown service "nope"');
    expect(() => parseAwsOptions(bad)).toThrow('regions.r.services.web.lbPools: no target group for LB pool "missing"');
    expect(() => parseAwsOptions(bad)).toThrow(
      'regions.r.services.web.securityGroupId: ingressCidrs need a security group',
    );
    expect(() =>
      parseAwsOptions({ regions: { r: { awsRegion: 'x', services: { a: { launchTemplate: {} } } } } }),
    ).toThrow('give exactly one of launchTemplateId or launchTemplateName');
  });

  it('names an ASG by the region pattern for a service without one, and none without a pattern', () => {
    const r = region({ autoScalingGroupPattern: 'shadow-{service}', services: { cache: { ports: [6379] } } });
    expect(serviceMapping(r, 'cache')?.autoScalingGroup).toBe('shadow-cache');
    expect(serviceMapping(r, 'cache')?.ports).toEqual([6379]);
    expect(serviceMapping(r, 'other')?.autoScalingGroup).toBe('shadow-other');
    expect(serviceMapping(region({}), 'other')).toBeUndefined();
  });

  it('accepts only the mapped regions’ real failover steps (not drills, ABORT or shadow commands)', () => {
    const p = new AwsProvider(minimal);
    const c = (partial: Parameters<typeof failoverCommand>[0]) => ({
      source: 'failover' as const,
      command: failoverCommand({ primaryRegion: 'eu-west', ...partial }),
    });
    expect(p.accepts(c({ type: 'LAUNCH_LEVEL' }))).toBe(true);
    expect(p.accepts(c({ type: 'LAUNCH_LEVEL', dryRun: true }))).toBe(false);
    expect(p.accepts(c({ type: 'ABORT' }))).toBe(false);
    expect(p.accepts(c({ type: 'REDIRECT_TRAFFIC', primaryRegion: 'us-east' }))).toBe(false);
  });
});

describe('AWS actuator steps (pure parts)', () => {
  it('starts a LAUNCH in waves of the services’ dependencies, a cycle together', () => {
    const item = (service: string, dependsOn: string[]) => ({ launch: { service }, mapping: { dependsOn } });
    const waves = startWaves([
      item('api', ['cache', 'db']),
      item('cache', []),
      item('db', ['external']),
      item('a', ['b']),
      item('b', ['a']),
    ]).map((w) => w.map((i) => i.launch.service));
    expect(waves).toEqual([['cache', 'db'], ['api'], ['a', 'b']]);
  });

  it('derives ingress from dependents’ security groups and CIDRs, and sees rules already there', () => {
    const r = region({
      services: {
        api: { securityGroupId: 'sg-api', ports: [8080], dependsOn: ['cache'], ingressCidrs: ['10.0.0.0/16'] },
        worker: { securityGroupId: 'sg-w', dependsOn: ['cache'] },
        cache: { securityGroupId: 'sg-c', ports: [6379, 6380] },
      },
    });
    const rules = desiredIngress(r);
    expect(rules).toEqual(
      expect.arrayContaining([
        { groupId: 'sg-api', port: 8080, from: { cidr: '10.0.0.0/16' } },
        { groupId: 'sg-c', port: 6379, from: { groupId: 'sg-api' } },
        { groupId: 'sg-c', port: 6380, from: { groupId: 'sg-w' } },
      ]),
    );
    expect(rules).toHaveLength(5);
    const rule = { groupId: 'sg-c', port: 6379, from: { groupId: 'sg-api' } };
    expect(
      hasRule([{ IpProtocol: 'tcp', FromPort: 6000, ToPort: 7000, UserIdGroupPairs: [{ GroupId: 'sg-api' }] }], rule),
    ).toBe(true);
    expect(hasRule([{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-api' }] }], rule)).toBe(true);
    expect(
      hasRule([{ IpProtocol: 'udp', FromPort: 6379, ToPort: 6379, UserIdGroupPairs: [{ GroupId: 'sg-api' }] }], rule),
    ).toBe(false);
    expect(
      hasRule([{ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }], rule),
    ).toBe(false);
  });

  it('moves a failover record to the shadow as PRIMARY and a weighted one to weight 100/0', () => {
    const [failover] = region({
      records: [
        {
          hostedZoneId: 'Z1',
          name: 'api.example.com',
          type: 'A',
          routing: 'failover',
          shadowValues: ['2.2.2.2'],
          primaryValues: ['1.1.1.1'],
        },
      ],
    }).records;
    if (!failover) throw new Error('no record');
    const changes = recordChanges(failover, 'hc-1');
    expect(changes.map((c) => [c.Action, c.ResourceRecordSet?.SetIdentifier, c.ResourceRecordSet?.Failover])).toEqual([
      ['UPSERT', 'foreshadow-shadow', 'PRIMARY'],
      ['UPSERT', 'foreshadow-primary', 'SECONDARY'],
    ]);
    expect(changes[0]?.ResourceRecordSet?.HealthCheckId).toBe('hc-1');
    expect(changes[0]?.ResourceRecordSet?.Name).toBe('api.example.com.');
    const [weighted] = region({
      records: [
        {
          hostedZoneId: 'Z1',
          name: 'www.example.com.',
          type: 'CNAME',
          routing: 'weighted',
          shadowValues: ['b.example.com'],
        },
      ],
    }).records;
    if (!weighted) throw new Error('no record');
    const w = recordChanges(weighted, undefined);
    expect(w).toHaveLength(1);
    expect(w[0]?.ResourceRecordSet?.Weight).toBe(100);
    expect(w[0]?.ResourceRecordSet?.HealthCheckId).toBeUndefined();
  });

  it('fences a name with a compare-and-set of its epoch TXT record', () => {
    const name = epochRecordName('api.example.com.');
    expect(name).toBe('_foreshadow-epoch.api.example.com.');
    const value = fenceValue(7, 'cmd-1', new Date(0));
    expect(value).toBe('"epoch=7 by=cmd-1 at=1970-01-01T00:00:00.000Z"');
    expect(fenceEpoch(value)).toBe(7);
    expect(fenceEpoch('"12"')).toBe(12);
    expect(fenceEpoch('"epoch=x"')).toBeUndefined();
    expect(fenceEpoch(undefined)).toBeUndefined();
    const current = { Name: name, Type: 'TXT' as const, TTL: 60, ResourceRecords: [{ Value: '"epoch=6"' }] };
    expect(fenceChanges({ name, current, epoch: 6 }, value).map((c) => c.Action)).toEqual(['DELETE', 'CREATE']);
    expect(fenceChanges({ name, current, epoch: 6 }, value)[0]?.ResourceRecordSet).toBe(current);
    expect(fenceChanges({ name, current: undefined, epoch: undefined }, value).map((c) => c.Action)).toEqual([
      'CREATE',
    ]);
  });

  it('refuses only epochs older than a resource’s tag', () => {
    expect(epochOfTags([{ Key: 'foreshadow:epoch', Value: '4' }])).toBe(4);
    expect(epochOfTags([{ Key: 'foreshadow:epoch', Value: 'four' }])).toBeUndefined();
    expect(epochOfTags(undefined)).toBeUndefined();
    const fence = new FenceCheck(4);
    fence.see('asg a', 4);
    fence.see('asg b', undefined);
    expect(fence.refusal()).toBeUndefined();
    fence.see('asg c', 5);
    expect(fence.refusal()).toEqual({
      status: 'REJECTED_STALE_EPOCH',
      detail: "newer epoch than the command's 4 on asg c (epoch 5): nothing changed",
    });
  });

  it('waits for an RDS promotion until the instance reports no source', () => {
    expect(instanceReady(undefined, false)).toBe('not visible yet');
    expect(instanceReady({ DBInstanceStatus: 'modifying', ReadReplicaSourceDBInstanceIdentifier: 'p' }, true)).toBe(
      'still a replica (modifying)',
    );
    expect(instanceReady({ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: 'p' }, true)).toBe(
      'still a replica (available)',
    );
    expect(instanceReady({ DBInstanceStatus: 'available' }, true)).toBe(true);
    expect(instanceReady({ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: 'p' }, false)).toBe(
      true,
    );
    expect(
      replicatesFrom({ ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:eu-west-1:1:db:orders' }, 'orders'),
    ).toBe(true);
    expect(replicatesFrom({ ReadReplicaSourceDBInstanceIdentifier: 'other' }, 'orders')).toBe(false);
    expect(replicatesFrom({}, 'orders')).toBe(false);
  });

  it('classifies throttling, 5xx, settling and network failures as transient, other 4xx as permanent', () => {
    const transient = [
      awsError('ThrottlingException', 400),
      awsError('RequestLimitExceeded', 503),
      awsError('Throttling', 400),
      awsError('InternalError', 500, 'server'),
      awsError('ServiceUnavailable', 503, 'server'),
      awsError('PriorRequestNotComplete', 400),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    ];
    for (const e of transient) expect(classifyAwsError(e, 'call').retriable, e.name).toBe(true);
    const permanent = [
      awsError('ValidationError', 400),
      awsError('InvalidGroup.NotFound', 400),
      awsError('AccessDenied', 403),
      awsError('DBInstanceNotFoundFault', 404),
    ];
    for (const e of permanent) expect(classifyAwsError(e, 'call').retriable, e.name).toBe(false);
    const err = classifyAwsError(awsError('ValidationError', 400), 'SetDesiredCapacity shadow-api', { service: 'api' });
    expect(err).toBeInstanceOf(ForeshadowError);
    expect(err.message).toBe('SetDesiredCapacity shadow-api: ValidationError (HTTP 400): ValidationError happened');
    expect(err.context).toMatchObject({
      service: 'api',
      awsCode: 'ValidationError',
      httpStatus: 400,
      requestId: 'req-1',
    });
    const already = new ForeshadowError('ACTUATION_FAILED', 'x', { retriable: false });
    expect(classifyAwsError(already, 'call')).toBe(already);
  });
});
