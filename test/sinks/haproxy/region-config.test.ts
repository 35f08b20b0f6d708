/** The shadow region's load-balancer configuration (pure; the drill runs it in real haproxy). */
import { describe, expect, it } from 'vitest';
import { balancerServers } from '../../../bench/region-failover/real/history.js';
import { regionBalancerConfig, regionBalancerSchema } from '../../../sinks/haproxy/region-config.js';

const balancer = regionBalancerSchema.parse({
  dir: '/tmp/lb',
  frontends: [
    {
      name: 'sessions',
      bind: '127.2.0.22:7031',
      upstream: 'sessions-cache',
      upstreamAddress: '127.2.0.12:7010',
      check: 'redis',
    },
    {
      name: 'orders',
      bind: '127.2.0.21:7030',
      upstream: 'orders-db',
      upstreamAddress: '127.2.0.11:7000',
      check: 'pgsql',
    },
    {
      name: 'shop',
      bind: '127.2.0.31:7040',
      upstream: 'orders-lb',
      upstreamAddress: '127.2.0.21:7030',
      upstreamInstances: 'shared',
    },
  ],
});

describe('region load-balancer configuration', () => {
  it('lists one server per upstream instance from the capacity launch, with protocol health checks', () => {
    const cfg = regionBalancerConfig(
      balancer,
      '/tmp/lb/admin.sock',
      new Map([
        ['sessions-cache', 3],
        ['orders-lb', 2],
      ]),
    );
    expect(cfg).toContain('stats socket /tmp/lb/admin.sock mode 600 level admin');
    expect(cfg).toContain('frontend sessions\n  bind 127.2.0.22:7031\n  default_backend sessions-servers');
    expect(cfg).toContain('tcp-check send PING\\r\\n\n  tcp-check expect string +PONG');
    expect(cfg).toContain('option pgsql-check user postgres');
    expect(balancerServers(cfg)).toEqual([
      'tcp://127.2.0.12:7010',
      'tcp://127.2.0.12:7011',
      'tcp://127.2.0.12:7012',
      'tcp://127.2.0.11:7000', // orders-db: not in the launch, one server
      'tcp://127.2.0.21:7030', // a shared-address upstream: one server whatever its instances
    ]);
  });

  it('rejects a frontend that is not host:port', () => {
    const bad = regionBalancerSchema.parse({
      ...balancer,
      frontends: [{ ...balancer.frontends[0]!, bind: 'nowhere' }],
    });
    expect(() => regionBalancerConfig(bad, '/s', new Map())).toThrow(
      /frontend sessions bind "nowhere" is not host:port/,
    );
  });
});
