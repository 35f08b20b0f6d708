/**
 * "All services answering in the shadow region", checked from outside the failover: every 20 ms
 * from the failure signal, each service of region B is asked what a client would ask it:
 *   - PostgreSQL: an INSERT (accepts writes, so promoted), on B's address;
 *   - Redis: PING on every instance the blueprint launched;
 *   - HAProxy: through every frontend, a `SELECT 1` (PostgreSQL behind it) or a PING (Redis);
 *   - DNS: every record resolves, at the drill's named, to its region B address.
 * A check's first pass is kept; everything answers once the last check has passed. A final round
 * (`confirm`) asks everything again and reports what does not answer.
 */
import { Resolver } from 'node:dns/promises';
import { createConnection } from 'node:net';
import { Client } from 'pg';
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import { parseHostPort } from '../../../sinks/framework/address.js';
import { DRILL_SERVICES, type RegionPlan, SHADOW_REGION } from './region-plan.js';
import { DATABASE } from './regions.js';

export interface Check {
  /** `<service>` or `<service>/<instance or frontend>` or `dns:<name>`. */
  id: string;
  service: string;
  run(): Promise<boolean>;
}

const TIMEOUT_MS = 500;

/** Sends PING on a fresh connection and waits for +PONG. */
export function redisPing(address: string): Promise<boolean> {
  const a = parseHostPort(address, 'redis address');
  return new Promise((resolve) => {
    let reply = '';
    const sock = createConnection({ host: a.host, port: a.port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(TIMEOUT_MS, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** Runs one statement on a fresh connection; true when it succeeds. */
export async function pgAnswers(address: string, sql: string): Promise<boolean> {
  const a = parseHostPort(address, 'postgres address');
  const c = new Client({
    host: a.host,
    port: a.port,
    user: 'postgres',
    database: DATABASE,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query(sql);
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export function shadowChecks(plan: RegionPlan, blueprint: ShadowBlueprint, dnsPort: number): Check[] {
  const instances = new Map(blueprint.services.map((s) => [s.service, s.instances]));
  const checks: Check[] = [];
  for (const s of DRILL_SERVICES) {
    if (s.kind === 'postgres') {
      const at = plan.instance(SHADOW_REGION, s);
      checks.push({ id: s.name, service: s.name, run: () => pgAnswers(at, 'INSERT INTO drill_probe DEFAULT VALUES') });
    } else if (s.kind === 'redis') {
      for (let i = 0; i < (instances.get(s.name) ?? 1); i++) {
        const at = plan.instance(SHADOW_REGION, s, i);
        checks.push({ id: `${s.name}/${i}`, service: s.name, run: () => redisPing(at) });
      }
    } else {
      for (const f of s.frontends) {
        const at = plan.frontend(SHADOW_REGION, s, f);
        checks.push({
          id: `${s.name}/${f.name}`,
          service: s.name,
          run: () => (f.speaks === 'redis' ? redisPing(at) : pgAnswers(at, 'SELECT 1')),
        });
      }
    }
  }
  const resolver = new Resolver({ timeout: TIMEOUT_MS, tries: 1 });
  resolver.setServers([`127.0.0.1:${dnsPort}`]);
  for (const [name, ip] of Object.entries(plan.records(SHADOW_REGION))) {
    checks.push({
      id: `dns:${name}`,
      service: 'dns',
      run: async () => (await resolver.resolve4(name).catch(() => [] as string[])).includes(ip),
    });
  }
  return checks;
}

export class Prober {
  readonly firstPassMs = new Map<string, number>();
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly checks: readonly Check[]) {}

  /** Starts polling; times are ms since `t0` (performance.now()). */
  start(t0: number): void {
    this.loop = (async () => {
      while (!this.stopped && this.firstPassMs.size < this.checks.length) {
        const round = performance.now();
        const todo = this.checks.filter((c) => !this.firstPassMs.has(c.id));
        const passed = await Promise.all(todo.map((c) => c.run()));
        const at = performance.now() - t0;
        todo.forEach((c, i) => {
          if (passed[i]) this.firstPassMs.set(c.id, at);
        });
        const wait = 20 - (performance.now() - round);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
  }

  /** ms since t0 when the last check first passed; undefined if one never did within `timeoutMs`. */
  async allAnswering(timeoutMs: number): Promise<number | undefined> {
    const deadline = performance.now() + timeoutMs;
    while (this.firstPassMs.size < this.checks.length && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    this.stopped = true;
    await this.loop;
    if (this.firstPassMs.size < this.checks.length) return undefined;
    return Math.max(...this.firstPassMs.values());
  }

  /** Per service, when its last check first passed. */
  serviceAnswered(): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of this.checks) {
      const at = this.firstPassMs.get(c.id);
      if (at !== undefined) out.set(c.service, Math.max(out.get(c.service) ?? 0, at));
    }
    return out;
  }

  /** Asks everything once more; the ids of the checks that fail now. */
  async confirm(): Promise<string[]> {
    const results = await Promise.all(this.checks.map((c) => c.run()));
    return this.checks.filter((_, i) => !results[i]).map((c) => c.id);
  }
}
