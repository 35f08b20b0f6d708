/**
 * The shadow manager's safety controls, decision by decision (TopologyTestDriver): the pause, host
 * and region maintenance windows, the blast-radius limit and advise mode. What each must do: record
 * the decision it stops, with the control, and let it happen once the control ends.
 */
import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTROL_STATE_RECORD } from '../../../schemas/records/control-state.js';
import { SHADOW_COMMAND_RECORD } from '../../../schemas/records/shadow-command.js';
import { SHADOW_STATE_RECORD } from '../../../schemas/records/shadow-state.js';
import type { ShadowManagerOptions } from '../../../streams/processors/shadow-manager/options.js';
import type { ShadowRecord } from '../../../streams/processors/shadow-manager/types.js';
import { deployment, host, risk, SimulatedProvider, T0 } from './fixtures.js';
import { hostFailure, ManagerHarness, operatorRequest } from './manager-harness.js';

const fleetHosts = [
  host('h1', 'a', 'r1'),
  host('h2', 'a', 'r2'),
  host('h3', 'b', 'r1'),
  host('h4', 'b', 'r2'),
  host('g1', 'a', 'r1', { region: 'eu-2' }),
  host('g2', 'b', 'r1', { region: 'eu-2' }),
];
const onH1 = [
  deployment('db-1', 'h1', 'CRITICAL'),
  deployment('api-1', 'h1', 'HIGH'),
  deployment('cache-1', 'h1', 'LOW'),
];

let harness: ManagerHarness | undefined;
afterEach(async () => {
  await harness?.driver.close();
  harness = undefined;
});

async function setup(options: Partial<ShadowManagerOptions> = {}): Promise<ManagerHarness> {
  const h = new ManagerHarness(options);
  harness = h;
  await h.fleet(fleetHosts, onH1);
  for (const name of ['h2', 'h3', 'h4', 'g1', 'g2'])
    await h.pipe('health.risk', name, risk(name, 0.02, h.now, { region: name.startsWith('g') ? 'eu-2' : 'eu-1' }));
  return h;
}

/** Lets the provider answer every command, and the commands those answers cause. */
async function settle(h: ManagerHarness, provider: SimulatedProvider, first: readonly { commandId: string }[]) {
  let pending = h.commands.filter((c) => first.some((f) => f.commandId === c.commandId));
  for (let round = 0; round < 20 && pending.length > 0; round++) {
    const next = [];
    for (const c of pending) next.push(...(await h.result(provider.handle(c, h.now))));
    pending = next;
  }
}

const pause = (id: string, reason = 'incident 42') =>
  operatorRequest({ type: 'PAUSE', requestId: id, subject: 'fleet', scope: 'FLEET', reason });
const resume = (id: string) => operatorRequest({ type: 'RESUME', requestId: id, subject: 'fleet', scope: 'FLEET' });
const window = (id: string, scope: 'HOST' | 'REGION', subject: string, from: number, to: number) =>
  operatorRequest({
    type: 'SET_MAINTENANCE',
    requestId: id,
    subject,
    scope,
    startsAt: from,
    endsAt: to,
    reason: 'planned work',
  });

describe('pause', () => {
  it('holds new shadows in the queue with the reason; resume places them', async () => {
    const h = await setup();
    expect(await h.request(pause('p-1'))).toEqual([]);
    expect(h.controls.get('pause')).toMatchObject({
      kind: 'PAUSE',
      active: true,
      reason: 'incident 42',
      principal: 'alice',
    });

    expect(await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now))).toEqual([]);
    expect(h.state('db-1')).toMatchObject({ state: 'QUEUED', reason: 'held: paused by alice: incident 42' });
    expect((await h.advance(3_000)).filter((c) => c.type === 'CREATE')).toEqual([]);

    const resumed = await h.request(resume('r-1'));
    expect(resumed.map((c) => [c.type, c.resourceId])).toEqual([
      ['CREATE', 'db-1'],
      ['CREATE', 'api-1'],
      ['CREATE', 'cache-1'],
    ]);
    expect(h.controls.get('pause')).toMatchObject({ active: false, requestId: 'r-1' });
  });

  it('records a failure as suppressed (once), fails nothing over, keeps idle shadows; operators still act', async () => {
    const h = await setup({ idleTtlMs: 5_000 });
    const provider = new SimulatedProvider();
    await settle(h, provider, await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now)));
    expect(h.state('db-1').state).toBe('READY');

    await h.request(pause('p-2', 'migrating the monitoring'));
    h.now += 1_000;
    expect(await h.pipe('host.failures', 'h1', hostFailure('h1', h.now))).toEqual([]);
    h.now += 1_000;
    expect(await h.pipe('host.failures', 'h1', hostFailure('h1', h.now))).toEqual([]);
    const suppressed = h.events.filter((e) => e.step === 'FAILOVER_SUPPRESSED');
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]).toMatchObject({ scope: 'HOST', subject: 'h1' });
    expect(suppressed[0]!.detail).toBe(
      'CRASH from monitoring not failed over: paused by alice: migrating the monitoring',
    );
    expect(h.steps()).not.toContain('DETECTED');

    // Risk calms down: while paused the idle shadows are kept beyond their TTL.
    await h.pipe('health.risk', 'h1', risk('h1', 0.05, h.now, { rising: false, deviating: false }));
    expect((await h.advance(10_000)).filter((c) => c.type === 'RETIRE')).toEqual([]);
    expect(h.state('db-1').state).toBe('READY');

    // An operator's promotion is carried out while paused: the pause stops automation, not people.
    const promoted = await h.request(operatorRequest({ type: 'PROMOTE_SHADOW', requestId: 'op-1', subject: 'db-1' }));
    expect(promoted.map((c) => c.type)).toEqual(['FENCE', 'PROMOTE']);
    await settle(h, provider, promoted);
    expect(h.state('db-1').state).toBe('PROMOTED');

    // Resumed: the idle shadows left are retired on the next round.
    await h.request(resume('r-2'));
    const retired = (await h.advance(1_000)).filter((c) => c.type === 'RETIRE').map((c) => c.resourceId);
    expect(retired.sort()).toEqual(['api-1', 'cache-1']);
  });
});

describe('heartbeat loss under a pause', () => {
  it('a silent host is reported once per pause, not failed over; resumed, it is', async () => {
    const h = await setup({ heartbeatIntervalMs: 1_000, heartbeatMissedIntervals: 2 });
    const provider = new SimulatedProvider();
    await settle(h, provider, await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now)));
    await h.request(pause('p-hb', 'network maintenance'));
    // h1 goes silent (the others keep reporting) for many rounds of the detector.
    for (let i = 0; i < 5; i++) {
      await h.advance(1_000);
      for (const name of ['h2', 'h3', 'h4', 'g1', 'g2'])
        await h.pipe('health.risk', name, risk(name, 0.02, h.now, { region: name.startsWith('g') ? 'eu-2' : 'eu-1' }));
    }
    const suppressed = h.events.filter((e) => e.step === 'FAILOVER_SUPPRESSED');
    expect(suppressed.map((e) => e.subject)).toEqual(['h1']);
    expect(suppressed[0]!.detail).toMatch(
      /^HEARTBEAT_LOST from .* not failed over: paused by alice: network maintenance$/,
    );
    expect(h.commands.filter((c) => c.type === 'PROMOTE')).toEqual([]);
    await h.request(resume('r-hb'));
    for (const name of ['h2', 'h3', 'h4', 'g1', 'g2'])
      await h.pipe('health.risk', name, risk(name, 0.02, h.now, { region: name.startsWith('g') ? 'eu-2' : 'eu-1' }));
    const after = await h.advance(1_000);
    expect(after.filter((c) => c.type === 'PROMOTE').map((c) => c.resourceId)).toEqual(['db-1', 'api-1', 'cache-1']);
    expect(h.steps()).toContain('DETECTED');
  });
});

describe('maintenance windows', () => {
  it('a host in its window gets no shadow and no failover; after the window, both happen', async () => {
    const h = await setup();
    const provider = new SimulatedProvider();
    await h.request(window('w-1', 'HOST', 'h1', T0, T0 + 30_000));
    expect(h.controls.get('w-1')).toMatchObject({
      kind: 'MAINTENANCE',
      scope: 'HOST',
      subject: 'h1',
      startsAt: T0,
      endsAt: T0 + 30_000,
      reason: 'planned work',
    });
    expect(await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now))).toEqual([]);
    expect(h.state('db-1').reason).toBe(
      `held: host h1 in maintenance window w-1 until ${new Date(T0 + 30_000).toISOString()}: planned work`,
    );
    h.now += 1_000;
    expect(await h.pipe('host.failures', 'h1', hostFailure('h1', h.now))).toEqual([]);
    expect(h.events.filter((e) => e.step === 'FAILOVER_SUPPRESSED').map((e) => e.detail)).toEqual([
      expect.stringContaining('in maintenance window w-1'),
    ]);

    // The window ends: it is dropped (a tombstone on control.state) and the held shadows are placed.
    const after = await h.advance(31_000);
    expect(h.controls.get('w-1')).toBeNull();
    expect(after.filter((c) => c.type === 'CREATE').map((c) => c.resourceId)).toEqual(['db-1', 'api-1', 'cache-1']);
    await settle(h, provider, after);
    expect(h.state('db-1').state).toBe('READY');
    const failover = await h.pipe('host.failures', 'h1', hostFailure('h1', h.now));
    expect(failover.filter((c) => c.type === 'PROMOTE').map((c) => c.resourceId)).toEqual(['db-1', 'api-1', 'cache-1']);
  });

  it('a window that starts later holds nothing yet; a cancelled one holds nothing any more', async () => {
    const h = await setup();
    await h.request(window('w-later', 'HOST', 'h1', T0 + 60_000, T0 + 120_000));
    const now = await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now));
    expect(now.filter((c) => c.type === 'CREATE')).toHaveLength(3);

    await h.pipe('deployments', 'x-1', deployment('x-1', 'g1', 'HIGH', { region: 'eu-2' }));
    await h.request(window('w-2', 'HOST', 'g1', T0, T0 + 600_000));
    expect(await h.pipe('health.risk', 'g1', risk('g1', 0.95, h.now, { region: 'eu-2' }))).toEqual([]);
    const cancelled = await h.request(
      operatorRequest({ type: 'CANCEL_MAINTENANCE', requestId: 'c-1', subject: 'g1', scope: 'HOST', windowId: 'w-2' }),
    );
    expect(h.controls.get('w-2')).toBeNull();
    expect(cancelled.map((c) => [c.type, c.resourceId, c.targetHost])).toEqual([['CREATE', 'x-1', 'g2']]);
  });

  it('a region window holds the shadows of every host in it and makes its hosts no placement target', async () => {
    const h = await setup();
    await h.pipe('deployments', 'x-1', deployment('x-1', 'g1', 'HIGH', { region: 'eu-2' }));
    await h.request(window('rw-1', 'REGION', 'eu-2', T0, T0 + 600_000));
    expect(await h.pipe('health.risk', 'g1', risk('g1', 0.95, h.now, { region: 'eu-2' }))).toEqual([]);
    expect(h.state('x-1').reason).toContain('held: region eu-2 in maintenance window rw-1');
    // eu-1 is not in the window: its shadows go ahead, and never onto a host under maintenance.
    await h.request(window('hw-3', 'HOST', 'h3', T0, T0 + 600_000));
    const created = await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now));
    expect(created.map((c) => c.targetHost)).toEqual(['h4', 'h4', 'h4']);
  });
});

describe('blast radius', () => {
  it('holds promotions beyond the per-region limit, reports them, and releases them minute by minute', async () => {
    const h = await setup({ maxPromotionsPerMinute: 10, maxPromotionsPerMinutePerRegion: 1 });
    const provider = new SimulatedProvider();
    await settle(h, provider, await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now)));
    h.now += 1_000;
    const first = await h.pipe('host.failures', 'h1', hostFailure('h1', h.now));
    expect(first.map((c) => [c.type, c.resourceId])).toEqual([
      ['FENCE', 'db-1'],
      ['PROMOTE', 'db-1'],
    ]);
    const held = h.events.filter((e) => e.step === 'PROMOTION_HELD');
    expect(held.map((e) => e.resourceId)).toEqual(['api-1', 'cache-1']);
    expect(held[0]!.detail).toBe('blast radius: 1 promotion(s) in eu-1 in the last minute, region limit 1');
    await settle(h, provider, first);

    expect((await h.advance(30_000)).filter((c) => c.type === 'PROMOTE')).toEqual([]);
    const second = await h.advance(31_000);
    expect(second.filter((c) => c.type === 'PROMOTE').map((c) => c.resourceId)).toEqual(['api-1']);
    expect(h.steps()).toContain('PROMOTION_RELEASED:api-1');
    await settle(h, provider, second);
    const third = await h.advance(61_000);
    expect(third.filter((c) => c.type === 'PROMOTE').map((c) => c.resourceId)).toEqual(['cache-1']);
    await settle(h, provider, third);
    // Nothing dropped: every resource ends redirected and the host failover completes.
    expect(h.commands.filter((c) => c.type === 'REDIRECT').map((c) => c.resourceId)).toEqual([
      'db-1',
      'api-1',
      'cache-1',
    ]);
    expect(h.steps()).toContain('COMPLETED');
  });

  it('a pause keeps held promotions held', async () => {
    const h = await setup({ maxPromotionsPerMinute: 1, maxPromotionsPerMinutePerRegion: 1 });
    const provider = new SimulatedProvider();
    await settle(h, provider, await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now)));
    // db-1 goes at once (its steps then finish, pause or not); api-1 and cache-1 are held.
    await settle(h, provider, await h.pipe('host.failures', 'h1', hostFailure('h1', h.now + 1)));
    await h.request(pause('p-3'));
    expect((await h.advance(120_000)).filter((c) => c.type === 'PROMOTE')).toEqual([]);
    await h.request(resume('r-3'));
    expect((await h.advance(1_000)).filter((c) => c.type === 'PROMOTE').map((c) => c.resourceId)).toEqual(['api-1']);
  });
});

describe('advise mode', () => {
  it('records every decision as an advisory command and carries none out', async () => {
    const h = await setup({ mode: 'advise', provisionTimeoutMs: 5_000 });
    const created = await h.pipe('health.risk', 'h1', risk('h1', 0.95, h.now));
    expect(created.map((c) => [c.type, c.resourceId, c.advisory])).toEqual([
      ['CREATE', 'db-1', true],
      ['CREATE', 'api-1', true],
      ['CREATE', 'cache-1', true],
    ]);
    expect(created[0]!.targetHost).toBe('h3');
    expect(h.state('db-1')).toMatchObject({ state: 'REQUESTED', advisory: true });
    expect(h.state('db-1').reason).toContain('recommended on h3, advise mode');
    // A recommendation waits for no result: nothing times it out or retries it.
    expect(await h.advance(20_000)).toEqual([]);

    h.now += 1_000;
    const failover = await h.pipe('host.failures', 'h1', hostFailure('h1', h.now));
    expect(failover.filter((c) => c.resourceId === 'db-1').map((c) => [c.type, c.targetHost, c.epoch])).toEqual([
      ['FENCE', 'h1', 1],
      ['PROMOTE', 'h3', 1],
      ['REDIRECT', 'h3', 1],
    ]);
    expect(failover.every((c) => c.advisory)).toBe(true);
    const recommended = h.events.filter((e) => e.step === 'FAILOVER_RECOMMENDED');
    expect(recommended.map((e) => e.resourceId)).toEqual(['db-1', 'api-1', 'cache-1']);
    expect(recommended.every((e) => e.advisory)).toBe(true);
    expect(recommended[0]!.detail).toMatch(
      /^advise mode, nothing carried out: FENCE h1 → PROMOTE h3 → REDIRECT h3 \(epoch 1\)$/,
    );
    expect(h.state('db-1')).toMatchObject({ state: 'PROMOTED', advisory: true });
    // An operator's request is recommended too; nothing was carried out, so no epoch was taken.
    const op = await h.request(operatorRequest({ type: 'CREATE_SHADOW', requestId: 'op-9', subject: 'db-1' }));
    expect(op.map((c) => [c.type, c.advisory, c.epoch])).toEqual([['CREATE', true, 0]]);

    // Every output is a valid record of its schema (the advisory fields included).
    const shadowCommand = avro.Type.forSchema(JSON.parse(SHADOW_COMMAND_RECORD.text) as avro.Schema);
    const shadowState = avro.Type.forSchema(JSON.parse(SHADOW_STATE_RECORD.text) as avro.Schema);
    for (const c of h.commands) expect(shadowCommand.isValid(c)).toBe(true);
    for (const s of h.states.values()) expect(shadowState.isValid(s)).toBe(true);
  });
});

describe('advise mode, then act mode', () => {
  it('a manager in act mode puts the recommended shadows it finds back in the queue, to be made for real', async () => {
    const advising = await setup({ mode: 'advise' });
    await advising.pipe('health.risk', 'h1', risk('h1', 0.95, advising.now));
    const recommended = await advising.driver
      .getKeyValueStore<string, ShadowRecord>('shadow-manager-shadows')
      .get('db-1');
    expect(recommended).toMatchObject({ state: 'REQUESTED', advisory: true });
    await advising.driver.close();

    // The same store under an act-mode manager (a restart with the option changed).
    const acting = await setup();
    acting.driver.getKeyValueStore<string, ShadowRecord>('shadow-manager-shadows').put('db-1', recommended!);
    const made = (await acting.advance(1_000)).filter((c) => c.type === 'CREATE');
    expect(made.map((c) => [c.resourceId, c.advisory])).toEqual([['db-1', false]]);
    expect(acting.state('db-1')).toMatchObject({ state: 'REQUESTED', advisory: false });
    expect(acting.events.filter((e) => e.step === 'FAILED')).toEqual([]);
  });
});

describe('control.state', () => {
  it('publishes valid records of the controls in force', async () => {
    const h = await setup();
    await h.request(pause('p-4', 'why not'));
    await h.request(window('w-4', 'REGION', 'eu-2', T0, T0 + 60_000));
    const type = avro.Type.forSchema(JSON.parse(CONTROL_STATE_RECORD.text) as avro.Schema);
    expect([...h.controls.keys()]).toEqual(['pause', 'w-4']);
    for (const c of h.controls.values()) expect(type.isValid(c)).toBe(true);
  });
});
