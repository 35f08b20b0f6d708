import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryCodec } from '../../../sinks/framework/codec.js';
import { SimulatedProvider } from '../../../sinks/simulated/simulated-provider.js';
import { consumeUntil, registryUrl } from '../../support/kafka.js';
import { ActuatorHarness, failoverCommand, shadowCommand } from '../support.js';

describe('simulated actuator through Kafka (idempotency, fencing, retries)', () => {
  const provider = new SimulatedProvider({
    seed: 3,
    kinds: ['sim'],
    defaults: { delayMs: { type: 'uniform', min: 5, max: 20 } },
    byType: {
      FENCE: { failureRate: 1, permanentShare: 1 },
      DEPLOY_STANDARD: { failureRate: 1, permanentShare: 0 },
      LAUNCH_LEVEL: { delayMs: { type: 'lognormal', median: 30, sigma: 0.3 } },
    },
    instanceLaunchMs: { type: 'exponential', mean: 20 },
  });
  const harness = new ActuatorHarness(provider);

  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  it('launches a shadow, answers a redelivery DUPLICATE without acting, and survives an actuator restart', async () => {
    const create = shadowCommand({ resourceId: 'svc-1', kind: 'sim', type: 'CREATE', epoch: 2, targetHost: 'h2' });
    await harness.send(create);
    const r = await harness.result(create.commandId);
    expect(r.status).toBe('SUCCEEDED');
    expect(r.address).toBe('sim://h2/svc-1');
    expect(provider.resources.get('svc-1')?.role).toBe('shadow');

    await harness.send(create);
    expect((await harness.result(create.commandId, 'DUPLICATE')).address).toBe('sim://h2/svc-1');

    // The ledger lives in Kafka: a restarted actuator still knows the command and the epoch.
    await harness.stopActuator();
    await harness.startActuator();
    await harness.send(create);
    await new Promise((res) => setTimeout(res, 500));
    const stale = shadowCommand({ resourceId: 'svc-1', kind: 'sim', type: 'PROMOTE', epoch: 1 });
    await harness.send(stale);
    expect((await harness.result(stale.commandId)).status).toBe('REJECTED_STALE_EPOCH');
    expect(harness.results.filter((x) => x.commandId === create.commandId && x.status === 'DUPLICATE')).toHaveLength(2);
    expect(provider.attempts.get(create.commandId)).toBe(1);
    expect(provider.resources.get('svc-1')?.role).toBe('shadow');
  });

  it('dead-letters an undecodable command with the reason and keeps acting on the next one', async () => {
    await harness.sendRaw(Buffer.from('{"not":"a command"'));
    const next = shadowCommand({ resourceId: 'svc-dlq', kind: 'sim', type: 'CREATE', epoch: 1, targetHost: 'h3' });
    await harness.send(next);
    expect((await harness.result(next.commandId)).status).toBe('SUCCEEDED');
    const [dead] = await consumeUntil(`${harness.shadowTopic}.dlq`, (all) => all.length >= 1, 30_000);
    expect(dead?.message.value?.toString()).toBe('{"not":"a command"');
    const h = dead?.message.headers ?? {};
    expect(String(h['x-dlq-source-topic'])).toBe(harness.shadowTopic);
    expect(String(h['x-dlq-reason'])).toBe('undecodable command');
    expect(String(h['x-dlq-processor'])).toBe('actuator:simulated');
    expect(String(h['x-dlq-error']).length).toBeGreaterThan(0);
  });

  it('fails permanently at once, and transiently after the retry budget', async () => {
    const fence = shadowCommand({ resourceId: 'svc-2', kind: 'sim', type: 'FENCE' });
    await harness.send(fence);
    const f = await harness.result(fence.commandId);
    expect(f).toMatchObject({ status: 'FAILED', retriable: false, attempt: 1 });
    expect(f.detail).toMatch(/permanent/);

    const deploy = shadowCommand({ resourceId: 'svc-3', kind: 'sim', type: 'DEPLOY_STANDARD' });
    await harness.send(deploy);
    const d = await harness.result(deploy.commandId);
    expect(d).toMatchObject({ status: 'FAILED', retriable: true, attempt: 4 });
    expect(provider.attempts.get(deploy.commandId)).toBe(4);
  });

  it('carries out region failover steps and fences stale ones', async () => {
    const launch = failoverCommand({
      type: 'LAUNCH_LEVEL',
      primaryRegion: 'eu-west',
      shadowRegion: 'eu-north',
      epoch: 4,
      level: 0,
      services: [
        { service: 'db', instances: 2, cpuPerInstance: 2, memoryMbPerInstance: 4096, configRef: '' },
        { service: 'api', instances: 3, cpuPerInstance: 1, memoryMbPerInstance: 1024, configRef: '' },
      ],
    });
    await harness.sendFailover(launch);
    const l = await harness.result(launch.commandId);
    expect(l.status).toBe('SUCCEEDED');
    expect(l.subject).toBe('eu-west');
    expect(l.detail).toMatch(/5 instances/);
    const traffic = failoverCommand({
      type: 'REDIRECT_TRAFFIC',
      primaryRegion: 'eu-west',
      shadowRegion: 'eu-north',
      epoch: 4,
    });
    await harness.sendFailover(traffic);
    expect((await harness.result(traffic.commandId)).status).toBe('SUCCEEDED');
    expect(provider.regions.get('eu-west')).toMatchObject({ launchedLevels: [0], instances: 5, trafficTo: 'eu-north' });

    const old = failoverCommand({ type: 'ABORT', primaryRegion: 'eu-west', shadowRegion: 'eu-north', epoch: 3 });
    await harness.sendFailover(old);
    expect((await harness.result(old.commandId)).status).toBe('REJECTED_STALE_EPOCH');
    expect(provider.regions.get('eu-west')?.aborted).toBe(false);
  });
});

describe('actuator on the production wire format (Avro through the schema registry)', () => {
  const provider = new SimulatedProvider({ seed: 9, kinds: ['redis'] });
  const harness = new ActuatorHarness(provider, registryCodec(registryUrl()));

  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  it('decodes Avro commands, answers Avro results, and fences by epoch', async () => {
    const promote = shadowCommand({
      resourceId: 'cache-avro',
      type: 'PROMOTE',
      epoch: 8,
      targetAddress: '10.0.0.8:6379',
    });
    await harness.send(promote);
    const r = await harness.result(promote.commandId);
    expect(r).toMatchObject({
      status: 'SUCCEEDED',
      address: '10.0.0.8:6379',
      subject: 'cache-avro',
      epoch: 8,
      lagBytes: null,
    });
    const stale = shadowCommand({ resourceId: 'cache-avro', type: 'RETIRE', epoch: 7 });
    await harness.send(stale);
    expect((await harness.result(stale.commandId)).status).toBe('REJECTED_STALE_EPOCH');
  });
});
