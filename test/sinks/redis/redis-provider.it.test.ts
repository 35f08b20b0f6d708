import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInfo } from '../../../sinks/redis/info.js';
import { RedisProvider } from '../../../sinks/redis/redis-provider.js';
import {
  ActuatorHarness,
  directContext,
  freePort,
  Program,
  redisTestClient,
  removeDir,
  shadowCommand,
  tempDir,
  waitFor,
} from '../support.js';

const PASSWORD = 'test-redis-secret-3f1';

const client = (port: number): Redis => redisTestClient(port, PASSWORD);

describe('Redis actuator (real redis-server processes)', () => {
  let dir: string;
  let primary: Program;
  let primaryPort: number;
  let shadowPort: number;
  let harness: ActuatorHarness;
  let db: Redis;

  beforeAll(async () => {
    dir = await tempDir('redis');
    primaryPort = await freePort();
    shadowPort = await freePort();
    // The "primary host": its own redis-server process, port and directory.
    primary = new Program('redis-server', [
      '--port',
      String(primaryPort),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--requirepass',
      PASSWORD,
    ]);
    db = client(primaryPort);
    await waitFor('primary redis', async () => db.connect().then(() => true));
    process.env.TEST_REDIS_PASSWORD = PASSWORD;
    harness = new ActuatorHarness(
      new RedisProvider({
        hosts: { 'host-b': { bindAddress: '127.0.0.1', dataRoot: join(dir, 'host-b') } },
        passwordEnv: 'TEST_REDIS_PASSWORD',
        syncTimeoutMs: 30_000,
      }),
    );
    await harness.start();
  });

  afterAll(async () => {
    await harness?.stop();
    db?.disconnect();
    // The shadow is daemonised: stop it by its pid file if a test failed before RETIRE.
    const pid = await readFile(join(dir, 'host-b', `cache-1-${shadowPort}`, 'redis.pid'), 'utf8').catch(() => '');
    if (pid) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await primary?.stop();
    await removeDir(dir);
  });

  it('creates a replicating shadow, reports lag, promotes it, fences the old primary and retires it', async () => {
    for (let i = 0; i < 500; i++) await db.set(`k${i}`, `v${i}`);
    const base = {
      resourceId: 'cache-1',
      primaryAddress: `127.0.0.1:${primaryPort}`,
      targetAddress: `127.0.0.1:${shadowPort}`,
    };

    const create = shadowCommand({ ...base, type: 'CREATE', epoch: 3 });
    await harness.send(create);
    const created = await harness.result(create.commandId);
    expect(created.status).toBe('SUCCEEDED');
    expect(created.address).toBe(`127.0.0.1:${shadowPort}`);
    expect(created.lagBytes).toBe(0);
    // While it synced, the lag was reported as IN_PROGRESS results.
    const progress = harness.results.filter((r) => r.commandId === create.commandId && r.status === 'IN_PROGRESS');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((r) => typeof r.lagBytes === 'number' && r.address === `127.0.0.1:${shadowPort}`)).toBe(true);

    // The shadow is a read-only replica holding the primary's keys, and follows new writes.
    const shadow = client(shadowPort);
    await shadow.connect();
    expect(await shadow.get('k499')).toBe('v499');
    await expect(shadow.set('x', '1')).rejects.toThrow(/READONLY/);
    await db.set('late', 'written-after-create');
    await waitFor('replicated late write', async () => (await shadow.get('late')) === 'written-after-create');
    // The password is in the 0600 config file, never on the command line.
    const conf = join(dir, 'host-b', `cache-1-${shadowPort}`, 'redis.conf');
    const { stat } = await import('node:fs/promises');
    expect((await stat(conf)).mode & 0o777).toBe(0o600);

    const report = shadowCommand({ ...base, type: 'REPORT_SYNC', epoch: 3 });
    await harness.send(report);
    const reported = await harness.result(report.commandId);
    expect(reported.status).toBe('SUCCEEDED');
    expect(typeof reported.lagBytes).toBe('number');
    expect(reported.lagMs).not.toBeNull();

    await db.set('before-promotion', 'kept');
    const promote = shadowCommand({ ...base, type: 'PROMOTE', epoch: 4 });
    await harness.send(promote);
    const promoted = await harness.result(promote.commandId);
    expect(promoted.status, promoted.detail).toBe('SUCCEEDED');

    // The new primary serves the data and takes writes; the old one refuses writes.
    expect(await shadow.get('before-promotion')).toBe('kept');
    expect(await shadow.get('k0')).toBe('v0');
    expect(await shadow.set('after', 'promotion')).toBe('OK');
    await expect(db.set('split-brain', 'no')).rejects.toThrow(/READONLY/);
    await waitFor('old primary follows the new one', async () => (await db.get('after')) === 'promotion');

    // A stale command (epoch 3 < 4) is refused and does nothing.
    const stale = shadowCommand({ ...base, type: 'RETIRE', epoch: 3, config: { 'redis.force': 'true' } });
    await harness.send(stale);
    expect((await harness.result(stale.commandId)).status).toBe('REJECTED_STALE_EPOCH');
    expect(await shadow.ping()).toBe('PONG');

    // A redelivered PROMOTE is answered DUPLICATE, not re-applied.
    await harness.send(promote);
    const dup = await harness.result(promote.commandId, 'DUPLICATE');
    expect(dup.address).toBe(`127.0.0.1:${shadowPort}`);
    shadow.disconnect();
  });

  it('retires a shadow replica: the server stops and its directory is removed', async () => {
    const port = await freePort();
    const base = {
      resourceId: 'cache-2',
      primaryAddress: `127.0.0.1:${shadowPort}`,
      targetAddress: `127.0.0.1:${port}`,
      epoch: 10,
    };
    const create = shadowCommand({ ...base, type: 'CREATE' });
    await harness.send(create);
    expect((await harness.result(create.commandId)).status).toBe('SUCCEEDED');
    const retire = shadowCommand({ ...base, type: 'RETIRE' });
    await harness.send(retire);
    const retired = await harness.result(retire.commandId);
    expect(retired.status, retired.detail).toBe('SUCCEEDED');
    const probe = client(port);
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
    await expect(readFile(join(dir, 'host-b', `cache-2-${port}`, 'redis.conf'))).rejects.toThrow(/ENOENT/);
  });

  it('reconciles by looking only, and finishes a promotion interrupted before the old primary was fenced', async () => {
    // A fresh pair: the first test's servers have swapped roles.
    const pDir = join(dir, 'pair');
    const pPort = await freePort();
    const rPort = await freePort();
    const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD];
    await mkdir(join(pDir, 'r'), { recursive: true });
    const p = new Program('redis-server', ['--port', String(pPort), '--dir', pDir, ...common]);
    const r = new Program('redis-server', [
      '--port',
      String(rPort),
      '--dir',
      join(pDir, 'r'),
      ...common,
      '--replicaof',
      '127.0.0.1',
      String(pPort),
      '--masterauth',
      PASSWORD,
    ]);
    const old = client(pPort);
    const next = client(rPort);
    try {
      await waitFor('primary up', async () => old.connect().then(() => true));
      await waitFor('replica up', async () => next.connect().then(() => true));
      await old.set('a', '1');
      await waitFor('replica in sync', async () => (await next.get('a')) === '1');
      const provider = new RedisProvider({
        hosts: { 'host-b': { bindAddress: '127.0.0.1', dataRoot: join(dir, 'host-b') } },
        passwordEnv: 'TEST_REDIS_PASSWORD',
      });
      const cmd = shadowCommand({
        type: 'PROMOTE',
        resourceId: 'cache-3',
        epoch: 2,
        primaryAddress: `127.0.0.1:${pPort}`,
        targetAddress: `127.0.0.1:${rPort}`,
      });
      const ctx = directContext();
      const calls = async (c: Redis, name: string): Promise<number> =>
        Number(/calls=(\d+)/.exec(parseInfo(await c.info('commandstats')).get(`cmdstat_${name}`) ?? '')?.[1] ?? 0);

      // Nothing done yet: reconcile says so and changes nothing.
      expect(await provider.reconcile({ source: 'shadow', command: cmd }, ctx)).toBeUndefined();
      // The interrupted run: the shadow was promoted, then the actuator died before fencing.
      await next.call('REPLICAOF', 'NO', 'ONE');
      expect(await provider.reconcile({ source: 'shadow', command: cmd }, ctx)).toBeUndefined();
      expect(await calls(old, 'replicaof')).toBe(0);
      // PROMOTE finishes it without promoting again (no second REPLICAOF NO ONE, no write pause).
      const done = await provider.promote(cmd, ctx);
      expect(done.detail).toMatch(/promotion resumed/);
      expect(await calls(next, 'replicaof')).toBe(1);
      expect(await calls(old, 'replicaof')).toBe(1);
      expect(await calls(old, 'client|pause')).toBe(0);
      await expect(old.set('b', '2')).rejects.toThrow(/READONLY/);
      // And now reconcile finds it in place.
      const seen = await provider.reconcile({ source: 'shadow', command: cmd }, ctx);
      expect(seen?.detail).toMatch(/old primary fenced/);
      expect(await calls(next, 'replicaof')).toBe(1);
    } finally {
      old.disconnect();
      next.disconnect();
      await r.stop();
      await p.stop();
    }
  });
});
