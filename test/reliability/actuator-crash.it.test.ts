/**
 * Actuator crash between carrying out a command and recording it (issue #10). The real Redis
 * actuator runs as a child process (fixtures/crashing-actuator.ts) against two real redis-server
 * processes (a primary and its replica, the shadow) and a PROMOTE command. It SIGKILLs itself at a
 * fault point of the command consumer:
 *  - after-action: the provider promoted the shadow and fenced the old primary; nothing recorded;
 *  - after-intent: the intent is recorded; the provider has not been called.
 * and a CREATE (the provider starts the shadow redis-server) killed after-action.
 * A second process then takes over. Asserted, from the outside:
 *  - the effect happened exactly once: REPLICAOF was called once on each server and the old
 *    primary paused for writes once (INFO commandstats), the roles are swapped; the CREATEd shadow
 *    is the same process before and after the restart and was never sent REPLICAOF again;
 *  - exactly one final result for the command is on the results topic (read_committed), SUCCEEDED,
 *    and nothing at all before the restart; the ledger holds SUCCEEDED (no intent left behind);
 *  - a redelivery of the same command is answered DUPLICATE and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Consumer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jsonCodec } from '../../sinks/framework/codec.js';
import type { FaultPoint } from '../../sinks/framework/consumer.js';
import type { LedgerEntry } from '../../sinks/framework/ledger.js';
import type { ActuationResult, ShadowCommand } from '../../sinks/framework/types.js';
import { parseInfo } from '../../sinks/redis/info.js';
import { freePort, Program, redisTestClient, removeDir, shadowCommand, tempDir, waitFor } from '../sinks/support.js';
import { sleep, startWorker, type Worker } from '../streams/fixtures/streams-helpers.js';
import {
  type ConsumedMessage,
  consumeUntil,
  createTopics,
  deleteTopics,
  testKafka,
  uniqueName,
} from '../support/kafka.js';
import { recordFigure } from './support/figures.js';

const PASSWORD = 'crash-test-redis-secret';
const codec = jsonCodec();

const client = (port: number): Redis => redisTestClient(port, PASSWORD);

/** `calls` of one command in INFO commandstats (`cmdstat_replicaof`, `cmdstat_client|pause`). */
async function calls(r: Redis, command: string): Promise<number> {
  const line = parseInfo(await r.info('commandstats')).get(`cmdstat_${command}`);
  return Number(/calls=(\d+)/.exec(line ?? '')?.[1] ?? 0);
}

async function replication(r: Redis): Promise<Map<string, string>> {
  return parseInfo(await r.info('replication'));
}

/**
 * Everything on `topic` (read_committed), each record once: a reader handed records again after a
 * rebalance must not make one result look like two.
 */
async function readAll(topic: string, ms: number): Promise<ConsumedMessage[]> {
  const seen = new Set<string>();
  return (await consumeUntil(topic, () => false, ms)).filter((m) => {
    const id = `${m.partition}:${m.message.offset}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

interface Pair {
  primaryPort: number;
  replicaPort: number;
  primary: Redis;
  replica: Redis;
}

describe('actuator crash between carrying out a command and recording it', () => {
  const shadowTopic = uniqueName('crash-shadow-commands');
  const resultsTopic = uniqueName('crash-actuation-results');
  const ledgerTopic = uniqueName('crash-actuation-ledger');
  const groupId = `test-crash-actuator-${randomUUID().slice(0, 8)}`;
  const results: ActuationResult[] = [];
  const programs: Program[] = [];
  const clients: Redis[] = [];
  const workers: Worker[] = [];
  /** Pid files of the shadows the actuator daemonised (stopped after the test). */
  const daemons: string[] = [];
  let dir = '';
  let reader: Consumer | undefined;

  async function redisPair(name: string): Promise<Pair> {
    const primaryPort = await freePort();
    const replicaPort = await freePort();
    const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD];
    // Each server its own directory: a replica writes the primary's snapshot there while syncing.
    const dirOf = async (port: number): Promise<string> => {
      const d = join(dir, String(port));
      await mkdir(d, { recursive: true });
      return d;
    };
    programs.push(
      new Program('redis-server', ['--port', String(primaryPort), '--dir', await dirOf(primaryPort), ...common]),
    );
    // The shadow: a read-only replica of the primary, as a CREATE leaves it.
    programs.push(
      new Program('redis-server', [
        '--port',
        String(replicaPort),
        '--dir',
        await dirOf(replicaPort),
        ...common,
        '--replicaof',
        '127.0.0.1',
        String(primaryPort),
        '--masterauth',
        PASSWORD,
      ]),
    );
    const primary = client(primaryPort);
    const replica = client(replicaPort);
    clients.push(primary, replica);
    await waitFor(`${name} primary`, async () => primary.connect().then(() => true));
    await waitFor(`${name} replica`, async () => replica.connect().then(() => true));
    for (let i = 0; i < 100; i++) await primary.set(`k${i}`, `v${i}`);
    await waitFor(`${name} replica in sync`, async () => (await replica.get('k99')) === 'v99');
    return { primaryPort, replicaPort, primary, replica };
  }

  function startActuator(crash?: { point: FaultPoint; commandId: string; freeze?: boolean }): Worker {
    const w = startWorker('../../reliability/fixtures/crashing-actuator.ts', {
      GROUP_ID: groupId,
      SHADOW_TOPIC: shadowTopic,
      RESULTS_TOPIC: resultsTopic,
      LEDGER_TOPIC: ledgerTopic,
      TARGET_HOST: 'host-b',
      DATA_ROOT: join(dir, 'host-b'),
      REDIS_PASSWORD: PASSWORD,
      ...(crash ? { [crash.freeze ? 'FREEZE_AT' : 'CRASH_AT']: crash.point, CRASH_COMMAND: crash.commandId } : {}),
    });
    workers.push(w);
    return w;
  }

  async function send(cmd: ShadowCommand): Promise<void> {
    const producer = testKafka('crash-test-producer').producer();
    await producer.connect();
    try {
      await producer.send({
        topic: shadowTopic,
        acks: -1,
        messages: [{ key: cmd.resourceId, value: await codec.encodeShadow(shadowTopic, cmd) }],
      });
    } finally {
      await producer.disconnect();
    }
  }

  async function ledgerEntry(key: string): Promise<LedgerEntry | undefined> {
    const all = await readAll(ledgerTopic, 4_000);
    const mine = all.filter((m) => m.message.key?.toString() === key && m.message.value);
    const last = mine.at(-1)?.message.value;
    return last ? (JSON.parse(last.toString()) as LedgerEntry) : undefined;
  }

  async function stopWorker(w: Worker): Promise<void> {
    if (w.child.exitCode !== null || w.child.signalCode !== null) return;
    w.child.kill('SIGTERM');
    const timer = setTimeout(() => w.child.kill('SIGKILL'), 15_000);
    await w.exited;
    clearTimeout(timer);
  }

  beforeAll(async () => {
    dir = await tempDir('actuator-crash');
    await createTopics([
      { topic: shadowTopic, numPartitions: 3 },
      { topic: resultsTopic, numPartitions: 1 },
    ]);
    reader = testKafka('crash-test-results').consumer({ groupId: `crash-results-${randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topic: resultsTopic, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        if (message.value) results.push(await codec.decodeResult(message.value));
      },
    });
  });

  // A test that failed half-way must not leave an actuator in the group for the next one.
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
  });

  afterAll(async () => {
    await reader?.disconnect();
    for (const c of clients) c.disconnect();
    for (const p of programs) await p.stop();
    for (const f of daemons) {
      const pid = Number(await readFile(f, 'utf8').catch(() => ''));
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await deleteTopics([shadowTopic, resultsTopic, ledgerTopic, `${shadowTopic}.dlq`]);
    if (dir) await removeDir(dir);
  });

  /**
   * Runs `cmd` on an actuator that SIGKILLs itself at `point`, checks that nothing is recorded but
   * the intent, calls `between` (the world as the crash left it), restarts the actuator and waits
   * for the command's first final result.
   */
  async function crashAndRestart(
    cmd: ShadowCommand,
    point: FaultPoint,
    between: () => Promise<void>,
  ): Promise<{ result: ActuationResult; recoveredMs: number; second: Worker }> {
    const first = startActuator({ point, commandId: cmd.commandId });
    await first.waitForLog((l) => l.msg === 'actuator started', 120_000);
    await send(cmd);
    await first.waitForLog((l) => l.msg === 'crashing' && l.point === point, 60_000);
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    const killedAt = Date.now();

    // Interim IN_PROGRESS reports (a CREATE's sync lag) may be out; no outcome is.
    const early = (await readAll(resultsTopic, 3_000))
      .map((m) => JSON.parse(m.message.value?.toString() ?? '{}') as ActuationResult)
      .filter((r) => r.commandId === cmd.commandId && r.status !== 'IN_PROGRESS');
    expect(early).toHaveLength(0);
    const intent = (await ledgerEntry(`redis/${cmd.resourceId}`))?.commands.find((c) => c.id === cmd.commandId);
    expect(intent?.status).toBe('STARTED');
    await between();

    const second = startActuator();
    const result = await waitFor(
      `result of ${cmd.commandId}`,
      () => results.find((r) => r.commandId === cmd.commandId && r.status !== 'IN_PROGRESS'),
      120_000,
    );
    expect(second.logs.some((l) => l.msg === 'command interrupted after it started; reconciling')).toBe(true);
    return { result, recoveredMs: Date.now() - killedAt, second };
  }

  /**
   * Sends the command again (a redelivery) and returns every final result it has. It shares the
   * partition, so once the DUPLICATE answer is out, any second answer to the first delivery is too.
   */
  async function finalResultsAfterRedelivery(cmd: ShadowCommand): Promise<ActuationResult[]> {
    await send(cmd);
    await waitFor('duplicate answer', () =>
      results.find((r) => r.commandId === cmd.commandId && r.status === 'DUPLICATE'),
    );
    const entry = await ledgerEntry(`redis/${cmd.resourceId}`);
    expect(entry?.commands.filter((c) => c.id === cmd.commandId).map((c) => c.status)).toEqual(['SUCCEEDED']);
    return (await readAll(resultsTopic, 3_000))
      .map((m) => JSON.parse(m.message.value?.toString() ?? '{}') as ActuationResult)
      .filter((r) => r.commandId === cmd.commandId && r.status !== 'IN_PROGRESS');
  }

  // CI's short form (stack/test.sh) keeps the crash after acting, the window the issue names.
  const promoteCases: { point: FaultPoint; effectBeforeRestart: boolean }[] = [
    { point: 'after-action', effectBeforeRestart: true },
    { point: 'after-intent', effectBeforeRestart: false },
  ];
  it.each(process.env.FORESHADOW_CI_SHORT === '1' ? promoteCases.slice(0, 1) : promoteCases)(
    'PROMOTE, SIGKILL at $point: the promotion happens exactly once and exactly one result is recorded',
    async ({ point, effectBeforeRestart }) => {
      const t0 = Date.now();
      const resourceId = `cache-promote-${point}`;
      const pair = await redisPair(resourceId);
      const cmd = shadowCommand({
        type: 'PROMOTE',
        resourceId,
        epoch: 2,
        primaryAddress: `127.0.0.1:${pair.primaryPort}`,
        targetAddress: `127.0.0.1:${pair.replicaPort}`,
      });

      const { result, recoveredMs, second } = await crashAndRestart(cmd, point, async () => {
        // The effect is (after-action) or is not yet (after-intent) in place when nothing is recorded.
        expect((await replication(pair.replica)).get('role')).toBe(effectBeforeRestart ? 'master' : 'slave');
      });
      expect(result.status, result.detail).toBe('SUCCEEDED');
      expect(result.address).toBe(`127.0.0.1:${pair.replicaPort}`);
      if (effectBeforeRestart) expect(result.detail).toMatch(/found in place after an interrupted run/);
      const all = await finalResultsAfterRedelivery(cmd);
      expect(all.map((r) => r.status)).toEqual(['SUCCEEDED', 'DUPLICATE']);

      // The effect, exactly once: one promotion, one fencing, one write pause.
      const replicaofOnShadow = await calls(pair.replica, 'replicaof');
      const replicaofOnOld = await calls(pair.primary, 'replicaof');
      const pausesOnOld = await calls(pair.primary, 'client|pause');
      expect(replicaofOnShadow).toBe(1);
      expect(replicaofOnOld).toBe(1);
      expect(pausesOnOld).toBe(1);
      const oldInfo = await replication(pair.primary);
      expect((await replication(pair.replica)).get('role')).toBe('master');
      expect(oldInfo.get('role')).toBe('slave');
      expect(Number(oldInfo.get('master_port'))).toBe(pair.replicaPort);
      expect(await pair.replica.get('k99')).toBe('v99');
      await expect(pair.primary.set('split-brain', 'no')).rejects.toThrow(/READONLY/);

      await stopWorker(second);
      const figures = {
        command: 'PROMOTE',
        point,
        kills: 1,
        effectBeforeRestart,
        finalResults: all.filter((r) => r.status !== 'DUPLICATE').length,
        duplicatesAnswered: all.filter((r) => r.status === 'DUPLICATE').length,
        replicaofOnShadow,
        replicaofOnOld,
        pausesOnOld,
        resultStatus: result.status,
        recoveredMs,
        seconds: Math.round((Date.now() - t0) / 1000),
      };
      console.log(`actuator crash: ${JSON.stringify(figures)}`);
      recordFigure('actuator-crash', figures);
    },
    240_000,
  );

  it('PROMOTE, SIGSTOP after-intent: the frozen instance, woken after a newer epoch swapped the roles back, does not act', async () => {
    const t0 = Date.now();
    const resourceId = 'cache-promote-frozen';
    const pair = await redisPair(resourceId);
    const p = `127.0.0.1:${pair.primaryPort}`;
    const r = `127.0.0.1:${pair.replicaPort}`;
    const first = shadowCommand({ type: 'PROMOTE', resourceId, epoch: 2, primaryAddress: p, targetAddress: r });
    const finalOf = (id: string): ActuationResult | undefined =>
      results.find((x) => x.commandId === id && x.status !== 'IN_PROGRESS');

    const frozen = startActuator({ point: 'after-intent', commandId: first.commandId, freeze: true });
    await frozen.waitForLog((l) => l.msg === 'actuator started', 120_000);
    await send(first);
    await frozen.waitForLog((l) => l.msg === 'freezing', 60_000);
    const frozenAt = Date.now();

    // The other instance takes the partition over once the frozen one's session expires, and
    // resumes the command from its intent.
    const owner = startActuator();
    const taken = await waitFor('takeover result', () => finalOf(first.commandId), 120_000);
    expect(taken.status, taken.detail).toBe('SUCCEEDED');
    expect((await replication(pair.replica)).get('role')).toBe('master');
    // A newer epoch swaps the roles back.
    const back = shadowCommand({ type: 'PROMOTE', resourceId, epoch: 3, primaryAddress: r, targetAddress: p });
    await send(back);
    const swapped = await waitFor('newer epoch result', () => finalOf(back.commandId), 60_000);
    expect(swapped.status, swapped.detail).toBe('SUCCEEDED');
    const before = {
      replicaofR: await calls(pair.replica, 'replicaof'),
      replicaofP: await calls(pair.primary, 'replicaof'),
    };

    // Wake the frozen instance right after its intent: acting now would undo epoch 3.
    frozen.child.kill('SIGCONT');
    await frozen.waitForLog((l) => l.msg === 'ownership lease expired before acting; left to the owner', 60_000);
    await sleep(3_000);
    expect((await replication(pair.primary)).get('role')).toBe('master');
    const shadowInfo = await replication(pair.replica);
    expect(shadowInfo.get('role')).toBe('slave');
    expect(Number(shadowInfo.get('master_port'))).toBe(pair.primaryPort);
    const after = {
      replicaofR: await calls(pair.replica, 'replicaof'),
      replicaofP: await calls(pair.primary, 'replicaof'),
    };
    expect(after).toEqual(before);
    const finals = (await readAll(resultsTopic, 3_000))
      .map((m) => JSON.parse(m.message.value?.toString() ?? '{}') as ActuationResult)
      .filter((x) => x.commandId === first.commandId && x.status !== 'IN_PROGRESS');
    expect(finals.map((x) => x.status)).toEqual(['SUCCEEDED']);
    await pair.primary.set('after-wake', 'ok');
    await expect(pair.replica.set('split-brain', 'no')).rejects.toThrow(/READONLY/);

    await Promise.all([stopWorker(frozen), stopWorker(owner)]);
    const figures = {
      command: 'PROMOTE',
      point: 'after-intent',
      freezes: 1,
      frozenMs: Date.now() - frozenAt,
      actedOnWake: after.replicaofR - before.replicaofR + after.replicaofP - before.replicaofP,
      finalResults: finals.length,
      seconds: Math.round((Date.now() - t0) / 1000),
    };
    console.log(`actuator freeze: ${JSON.stringify(figures)}`);
    recordFigure('actuator-freeze', figures);
  }, 240_000);

  it('CREATE, SIGKILL after-action: the shadow server is started once and never re-pointed', async () => {
    const t0 = Date.now();
    const resourceId = 'cache-create-after-action';
    const pair = await redisPair(resourceId);
    const shadowPort = await freePort();
    const pidFile = join(dir, 'host-b', `${resourceId}-${shadowPort}`, 'redis.pid');
    daemons.push(pidFile);
    const cmd = shadowCommand({
      type: 'CREATE',
      resourceId,
      epoch: 1,
      primaryAddress: `127.0.0.1:${pair.primaryPort}`,
      targetAddress: `127.0.0.1:${shadowPort}`,
    });
    let pidAtCrash = '';
    const { result, recoveredMs, second } = await crashAndRestart(cmd, 'after-action', async () => {
      pidAtCrash = (await readFile(pidFile, 'utf8')).trim();
    });
    expect(result.status, result.detail).toBe('SUCCEEDED');
    const all = await finalResultsAfterRedelivery(cmd);
    expect(all.map((r) => r.status)).toEqual(['SUCCEEDED', 'DUPLICATE']);

    // Started once (same process), configured once (from its file; no REPLICAOF re-sent, which is
    // what re-running createShadow on the running server would do).
    const shadow = client(shadowPort);
    clients.push(shadow);
    await shadow.connect();
    const pidAfter = (await readFile(pidFile, 'utf8')).trim();
    const replicaofOnShadow = await calls(shadow, 'replicaof');
    expect(pidAfter).toBe(pidAtCrash);
    expect(Number(parseInfo(await shadow.info('server')).get('process_id'))).toBe(Number(pidAtCrash));
    expect(replicaofOnShadow).toBe(0);
    const info = await replication(shadow);
    expect(info.get('role')).toBe('slave');
    expect(Number(info.get('master_port'))).toBe(pair.primaryPort);
    expect(await shadow.get('k99')).toBe('v99');
    expect(result.detail).toMatch(/found in place after an interrupted run/);

    await stopWorker(second);
    const figures = {
      command: 'CREATE',
      point: 'after-action',
      kills: 1,
      finalResults: all.filter((r) => r.status !== 'DUPLICATE').length,
      duplicatesAnswered: all.filter((r) => r.status === 'DUPLICATE').length,
      serverStarts: pidAfter === pidAtCrash ? 1 : 2,
      replicaofOnShadow,
      resultStatus: result.status,
      recoveredMs,
      seconds: Math.round((Date.now() - t0) / 1000),
    };
    console.log(`actuator crash: ${JSON.stringify(figures)}`);
    recordFigure('actuator-crash', figures);
  }, 240_000);
});
