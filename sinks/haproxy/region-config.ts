/**
 * HAProxy configuration for a load-balancer service of a shadow region, pure: TCP frontends, each
 * in front of the instances of one upstream service in the same region, with active health checks
 * that speak the upstream's protocol (Redis PING, PostgreSQL startup, plain TCP), fast enough that
 * a frontend serves within a few hundred milliseconds of its upstream answering. The number of
 * upstream servers comes from the failover's capacity launch (the blueprint's instance counts).
 */
import { z } from 'zod';
import { formatHostPort, parseHostPort } from '../framework/address.js';

const NAME = /^[A-Za-z0-9_.-]+$/;

export const regionFrontendSchema = z.object({
  name: z.string().regex(NAME, 'letters, digits, _ . - only'),
  /** host:port this frontend listens on in the shadow region. */
  bind: z.string().min(1),
  /** The service behind it (a service of the blueprint). */
  upstream: z.string().min(1),
  /** host:port of the upstream's first instance in the shadow region. */
  upstreamAddress: z.string().min(1),
  /**
   * `ports`: instance i of the upstream listens on port + i (Redis, PostgreSQL);
   * `shared`: all instances share one address (another HAProxy service, SO_REUSEPORT).
   */
  upstreamInstances: z.enum(['ports', 'shared']).default('ports'),
  check: z.enum(['redis', 'pgsql', 'tcp']).default('tcp'),
});
export type RegionFrontend = z.infer<typeof regionFrontendSchema>;

export const regionBalancerSchema = z.object({
  /** Where each instance's configuration, pid file and stats socket go (a subdirectory per instance). */
  dir: z.string().min(1),
  frontends: z.array(regionFrontendSchema).min(1),
  /** User for PostgreSQL health checks (`option pgsql-check`). */
  checkUser: z.string().default('postgres'),
  /** Health-check interval of the upstream servers. */
  checkIntervalMs: z.number().int().positive().default(100),
});
export type RegionBalancer = z.infer<typeof regionBalancerSchema>;

const CHECK_LINES: Record<RegionFrontend['check'], (user: string) => string[]> = {
  redis: () => ['option tcp-check', 'tcp-check send PING\\r\\n', 'tcp-check expect string +PONG'],
  pgsql: (user) => [`option pgsql-check user ${user}`],
  tcp: () => [],
};

/** haproxy.cfg of one instance; `upstreamCounts` = instances per upstream service (default 1). */
export function regionBalancerConfig(
  b: RegionBalancer,
  socket: string,
  upstreamCounts: ReadonlyMap<string, number>,
): string {
  const lines = [
    'global',
    `  stats socket ${socket} mode 600 level admin`,
    'defaults',
    '  mode tcp',
    '  timeout connect 500ms',
    '  timeout client 60s',
    '  timeout server 60s',
    '  retries 2',
    '  option redispatch 1',
  ];
  for (const f of b.frontends) {
    const bind = parseHostPort(f.bind, `frontend ${f.name} bind`);
    const first = parseHostPort(f.upstreamAddress, `frontend ${f.name} upstreamAddress`);
    const count = f.upstreamInstances === 'shared' ? 1 : Math.max(1, upstreamCounts.get(f.upstream) ?? 1);
    const i = b.checkIntervalMs;
    lines.push(
      `frontend ${f.name}`,
      `  bind ${formatHostPort(bind)}`,
      `  default_backend ${f.name}-servers`,
      `backend ${f.name}-servers`,
      '  balance roundrobin',
      ...CHECK_LINES[f.check](b.checkUser).map((l) => `  ${l}`),
      `  default-server check inter ${i}ms fastinter ${i}ms downinter ${i}ms rise 1 fall 2`,
      ...Array.from({ length: count }, (_, n) =>
        `  server ${f.upstream}-${n} ${formatHostPort({ host: first.host, port: first.port + n })}`.replace(/\s+$/, ''),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
