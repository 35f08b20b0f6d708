/**
 * The Redis Sentinel side of the failover drill: a primary and a replica, three sentinels (the
 * Debian redis-sentinel program) with a given down-after-milliseconds, behind the same HAProxy
 * arrangement as Foreshadow's (role checked with `info replication` / `role:master`).
 */
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  freePort,
  type ManagedProcess,
  portOpen,
  type RedisServer,
  redisClient,
  spawnLogged,
  startRedis,
  waitFor,
} from '../../demo/real-processes.js';

export interface SentinelSetup {
  primary: RedisServer;
  replica: RedisServer;
  sentinels: ManagedProcess[];
  sentinelPorts: number[];
}

export const SENTINEL_MASTER = 'drill';

export async function startSentinelSetup(
  dir: string,
  label: string,
  downAfterMs: number | null,
  failoverTimeoutMs: number | null,
): Promise<SentinelSetup> {
  const primary = await startRedis(`${label}-primary`, dir, await freePort());
  const replica = await startRedis(`${label}-replica`, dir, await freePort(), [
    `replicaof 127.0.0.1 ${primary.port}`,
    'replica-read-only yes',
  ]);
  const r = await redisClient(replica.port);
  try {
    await waitFor(
      `${label} replica link`,
      async () => /master_link_status:up/.test(await r.info('replication')),
      20_000,
    );
  } finally {
    r.disconnect();
  }
  const sentinels: ManagedProcess[] = [];
  const sentinelPorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const home = join(dir, `${label}-sentinel-${i}`);
    await mkdir(home, { recursive: true });
    const conf = join(home, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${home}`,
        'daemonize no',
        `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${primary.port} 2`,
        // null = the program's default (30 s down-after, 180 s failover timeout).
        ...(downAfterMs === null ? [] : [`sentinel down-after-milliseconds ${SENTINEL_MASTER} ${downAfterMs}`]),
        ...(failoverTimeoutMs === null ? [] : [`sentinel failover-timeout ${SENTINEL_MASTER} ${failoverTimeoutMs}`]),
        `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(spawnLogged(`${label}-sentinel-${i}`, 'redis-sentinel', [conf], dir));
    sentinelPorts.push(port);
    await waitFor(`${label} sentinel ${i}`, () => portOpen(port));
  }
  // Sentinels must have found each other and the replica before the kill, or a quorum is impossible.
  const s = await redisClient(sentinelPorts[0]!);
  try {
    await waitFor(
      `${label} sentinels to see 2 peers and the replica`,
      async () => {
        const m = (await s.call('SENTINEL', 'MASTER', SENTINEL_MASTER)) as string[];
        const field = (k: string) => Number(m[m.indexOf(k) + 1] ?? 0);
        return field('num-other-sentinels') >= 2 && field('num-slaves') >= 1;
      },
      60_000,
    );
  } finally {
    s.disconnect();
  }
  return { primary, replica, sentinels, sentinelPorts };
}
