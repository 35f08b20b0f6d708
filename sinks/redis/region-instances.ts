/**
 * The Redis instances of one service in a shadow region, pure: instance i of a service listens on
 * the region's address at `port + i` with its own directory, and its configuration is a plain,
 * daemonising primary (a region's caches and session stores start empty; data replication is a
 * separate step of the failover).
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import type { HostPort } from '../framework/address.js';

/** Where a service's instances run in one shadow region (instance i on `port + i`). */
export const regionInstancesSchema = z.object({
  bindAddress: z.string().min(1),
  port: z.number().int().positive().max(65_535),
  dataRoot: z.string().min(1),
});

export interface RegionInstance {
  service: string;
  index: number;
  address: HostPort;
  dir: string;
}

export type RegionInstances = z.infer<typeof regionInstancesSchema>;

export function regionInstances(service: string, count: number, where: RegionInstances): RegionInstance[] {
  const safe = service.replace(/[^A-Za-z0-9._-]/g, '_');
  return Array.from({ length: Math.max(1, count) }, (_, index) => ({
    service,
    index,
    address: { host: where.bindAddress, port: where.port + index },
    dir: resolve(where.dataRoot, `${safe}-${index}`),
  }));
}

/** redis.conf of one instance; `quotedPassword` is already quoted for the file. */
export function regionInstanceConfig(i: RegionInstance, quotedPassword?: string): string {
  return `${[
    `port ${i.address.port}`,
    `bind ${i.address.host}`,
    `dir ${i.dir}`,
    'daemonize yes',
    `pidfile ${resolve(i.dir, 'redis.pid')}`,
    `logfile ${resolve(i.dir, 'redis.log')}`,
    'save ""',
    'appendonly no',
    ...(quotedPassword ? [`requirepass ${quotedPassword}`, `masterauth ${quotedPassword}`] : []),
  ].join('\n')}\n`;
}
