/**
 * The PostgreSQL actuator against real PostgreSQL: a primary and two hot standbys (pg_basebackup,
 * streaming replication), failover commands delivered through the real command consumer on
 * private topics. Promotion is idempotent on retry, fenced by the epoch kept in the database, a
 * permanent error (a role without the right to promote) is FAILED at once with the server's
 * reason, and reconcile only looks.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgCluster } from '../../../bench/region-failover/real/postgres-cluster.js';
import type { FailoverCommand } from '../../../sinks/framework/types.js';
import { PostgresProvider } from '../../../sinks/postgres/postgres-provider.js';
import { ActuatorHarness, directContext, failoverCommand, freePort, removeDir, tempDir } from '../support.js';

const DB = 'shop';

function launch(partial: Partial<FailoverCommand> = {}): FailoverCommand {
  return failoverCommand({
    type: 'LAUNCH_LEVEL',
    primaryRegion: 'pg-a',
    shadowRegion: 'pg-b',
    level: 0,
    services: [{ service: 'orders-db', instances: 1, cpuPerInstance: 1, memoryMbPerInstance: 1024, configRef: '' }],
    ...partial,
  });
}

async function inRecovery(pg: PgCluster): Promise<boolean> {
  const [r] = await pg.sql<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
  return r?.r ?? true;
}

async function timeline(pg: PgCluster): Promise<number> {
  const [r] = await pg.sql<{ t: number }>(
    "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS t",
  );
  return r?.t ?? 0;
}

describe('PostgreSQL actuator (real PostgreSQL, streaming replication)', () => {
  let dir: string;
  let primary: PgCluster;
  let standby: PgCluster;
  let second: PgCluster;
  let harness: ActuatorHarness;
  let appHarness: ActuatorHarness;
  let provider: PostgresProvider;

  beforeAll(async () => {
    dir = await tempDir('pg-actuator');
    primary = await PgCluster.primary({ dir: join(dir, 'a'), host: '127.0.0.1', port: await freePort() });
    await primary.sql(`CREATE DATABASE ${DB}`);
    await primary.sql('CREATE TABLE orders (id bigint PRIMARY KEY)', [], DB);
    await primary.sql('INSERT INTO orders SELECT generate_series(1, 500)', [], DB);
    // A role that may log in but not promote: pg_promote() is superuser-only unless granted.
    await primary.sql('CREATE ROLE app LOGIN');
    standby = await PgCluster.standbyOf(primary, { dir: join(dir, 'b'), host: '127.0.0.1', port: await freePort() });
    second = await PgCluster.standbyOf(primary, { dir: join(dir, 'c'), host: '127.0.0.1', port: await freePort() });
    await primary.kill(); // the primary region is gone
    provider = new PostgresProvider({
      services: { 'orders-db': { 'pg-b': { address: standby.address, database: DB, rejoinSlot: 'pg_a_rejoin' } } },
      promoteTimeoutS: 30,
    });
    harness = new ActuatorHarness(provider);
    await harness.start();
    appHarness = new ActuatorHarness(
      new PostgresProvider({
        name: 'postgres-app',
        services: { 'orders-db': { 'pg-b': { address: second.address, database: DB, user: 'app' } } },
      }),
    );
    await appHarness.start();
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    await appHarness?.stop();
    for (const pg of [standby, second, primary]) await pg?.stop();
    await removeDir(dir);
  });

  it('checks the standby on the capacity launch, promotes it on the start, once, and records its epoch', async () => {
    const provision = launch({ epoch: 5, provisionOnly: true });
    await harness.sendFailover(provision);
    const checked = await harness.result(provision.commandId);
    expect(checked.status).toBe('SUCCEEDED');
    expect(checked.detail).toContain('hot standby ready to promote');
    expect(await inRecovery(standby)).toBe(true);

    const start = launch({ epoch: 5 });
    await harness.sendFailover(start);
    const promoted = await harness.result(start.commandId);
    expect(promoted.status, promoted.detail).toBe('SUCCEEDED');
    expect(promoted.detail).toMatch(/promoted in \d+ ms to timeline 2 at epoch 5/);
    expect(promoted.address).toBe(standby.address);
    expect(await inRecovery(standby)).toBe(false);
    const [fence] = await standby.sql<{ epoch: string }>(
      `SELECT epoch::text AS epoch FROM foreshadow.epochs WHERE subject = 'pg-a/orders-db'`,
      [],
      DB,
    );
    expect(fence?.epoch).toBe('5');
    // The data replicated before the failure is there, and the new primary takes writes.
    const [n] = await standby.sql<{ n: string }>('SELECT count(*)::text AS n FROM orders', [], DB);
    expect(n?.n).toBe('500');
    await standby.sql('INSERT INTO orders VALUES (501)', [], DB);

    // The orchestrator's retry of the same epoch (a new attempt, a new command id): done, not redone.
    const retry = launch({ epoch: 5 });
    await harness.sendFailover(retry);
    const again = await harness.result(retry.commandId);
    expect(again.status).toBe('SUCCEEDED');
    expect(again.detail).toContain('already promoted at epoch 5');
    expect(await timeline(standby)).toBe(2);
  });

  it('refuses a stale epoch at the database itself, and a stale command at the consumer', async () => {
    // Through the consumer, the ledger refuses it before the provider is called.
    const stale = launch({ epoch: 4 });
    await harness.sendFailover(stale);
    const refused = await harness.result(stale.commandId);
    expect(refused.status).toBe('REJECTED_STALE_EPOCH');
    // An actuator that never saw epoch 5 (another instance, a lost ledger) is refused by the
    // epoch kept in the promoted database.
    const fresh = new PostgresProvider({
      services: { 'orders-db': { 'pg-b': { address: standby.address, database: DB } } },
    });
    const out = await fresh.failoverStep(launch({ epoch: 3 }), directContext());
    expect(out.status).toBe('REJECTED_STALE_EPOCH');
    expect(out.detail).toContain('foreshadow.epochs holds epoch 5');
    expect(await timeline(standby)).toBe(2);
    // A newer epoch takes the database over (it is already a primary: nothing to promote).
    const newer = await fresh.failoverStep(launch({ epoch: 6 }), directContext());
    expect(newer.status).toBeUndefined();
    expect(newer.detail).toContain('already a primary (timeline 2); epoch 6 recorded');
  });

  it('creates the old region rejoin slot on START_REPLICATION, idempotently', async () => {
    const cmd = failoverCommand({ type: 'START_REPLICATION', primaryRegion: 'pg-a', shadowRegion: 'pg-b', epoch: 7 });
    await harness.sendFailover(cmd);
    const r = await harness.result(cmd.commandId);
    expect(r.status).toBe('SUCCEEDED');
    expect(r.detail).toContain('replication slot pg_a_rejoin created');
    const again = await provider.failoverStep({ ...cmd, commandId: `${cmd.commandId}-2` }, directContext());
    expect(again.detail).toContain('pg_a_rejoin already there');
    const slots = await standby.sql<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots');
    expect(slots.map((s) => s.slot_name)).toEqual(['pg_a_rejoin']);
  });

  it('reconcile only looks: it reports a promotion already in place, and nothing for one not done', async () => {
    const done = await provider.reconcile({ source: 'failover', command: launch({ epoch: 7 }) }, directContext());
    expect(done).toBeUndefined(); // the database holds epoch 6, not 7
    const mine = await new PostgresProvider({
      services: { 'orders-db': { 'pg-b': { address: standby.address, database: DB } } },
    }).reconcile({ source: 'failover', command: launch({ epoch: 6 }) }, directContext());
    expect(mine?.detail).toContain('promoted at epoch 6');
    const notYet = await new PostgresProvider({
      services: { 'orders-db': { 'pg-b': { address: second.address, database: DB } } },
    }).reconcile({ source: 'failover', command: launch({ epoch: 6 }) }, directContext());
    expect(notYet).toBeUndefined();
    expect(await inRecovery(second)).toBe(true);
  });

  it('fails permanently, at once and with the server reason, when the role may not promote', async () => {
    const cmd = launch({ epoch: 5 });
    await appHarness.sendFailover(cmd);
    const r = await appHarness.result(cmd.commandId);
    expect(r.status).toBe('FAILED');
    expect(r.retriable).toBe(false);
    expect(r.attempt).toBe(1);
    expect(r.detail).toContain('permission denied for function pg_promote');
    expect(r.detail).toContain('SQLSTATE 42501');
    expect(await inRecovery(second)).toBe(true);
  });

  it('fails transiently (retried, then FAILED retriable) when the standby does not answer', async () => {
    const gone = new PostgresProvider({
      services: { 'orders-db': { 'pg-b': { address: `127.0.0.1:${await freePort()}`, database: DB } } },
      connectTimeoutMs: 500,
    });
    await expect(gone.failoverStep(launch({ epoch: 9 }), directContext())).rejects.toMatchObject({
      code: 'ACTUATION_FAILED',
      retriable: true,
    });
  });
});
