/**
 * Real programs for the demo and the drills: redis-server, redis-sentinel and haproxy started on
 * loopback ports in a private directory, in the foreground as our children (so they die with the
 * supervisor and never outlive it), plus the daemonised Redis shadows the Redis actuator starts,
 * found by their pid files and stopped the same way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A free TCP port on loopback (bound then released: good enough for a private demo). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function portOpen(port: number, host = '127.0.0.1', timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** Spawns a program in the foreground with its output in `<dir>/<name>.log`. */
export function spawnLogged(name: string, cmd: string, args: string[], dir: string): ManagedProcess {
  const log = join(dir, `${name}.log`);
  writeFileSync(log, '');
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  const append = (b: Buffer) => {
    try {
      writeFileSync(log, b, { flag: 'a' });
    } catch {
      // The directory may already be gone during teardown; losing the tail of a log is fine.
    }
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, exited };
}

export async function stopProcess(p: ManagedProcess, graceMs = 3_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

export interface RedisServer extends ManagedProcess {
  port: number;
  address: string;
}

export async function startRedis(
  name: string,
  dir: string,
  port: number,
  extra: string[] = [],
  bin = 'redis-server',
): Promise<RedisServer> {
  const home = join(dir, name);
  await mkdir(home, { recursive: true });
  const conf = join(home, 'redis.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${home}`,
      'daemonize no',
      'save ""',
      'appendonly no',
      'protected-mode no',
      ...extra,
      '',
    ].join('\n'),
  );
  const p = spawnLogged(name, bin, [conf], dir);
  await waitFor(`${name} on :${port}`, () => portOpen(port));
  return { ...p, port, address: `127.0.0.1:${port}` };
}

export async function redisClient(port: number): Promise<Redis> {
  const r = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  await r.connect();
  return r;
}

export interface HaproxyBackend {
  name: string;
  frontendPort: number;
  /** Servers as `name address [options]` lines after `server`. */
  servers: string[];
  /** Lines inside the backend before the servers (health checks). */
  preamble?: string[];
}

export interface Haproxy extends ManagedProcess {
  socket: string;
  config: string;
}

export async function startHaproxy(
  dir: string,
  backends: readonly HaproxyBackend[],
  name = 'haproxy',
): Promise<Haproxy> {
  const socket = join(dir, `${name}.sock`);
  const lines = [
    'global',
    `  stats socket ${socket} mode 600 level admin`,
    'defaults',
    '  mode tcp',
    // A connection accepted while its server is dying is retried after a turn-around of
    // min(timeout connect, 1 s): with 500 ms and 3 retries stuck on the dead server, clients
    // waited ~1.5 s after the new primary was up (the failover drill's trace). Loopback and LAN
    // connects take well under 100 ms; every retry may pick another server (redispatch).
    '  timeout connect 100ms',
    '  retries 2',
    '  option redispatch 1',
    '  timeout client 30s',
    '  timeout server 30s',
  ];
  for (const b of backends) {
    lines.push(`frontend fe_${b.name}`, `  bind 127.0.0.1:${b.frontendPort}`, `  default_backend ${b.name}`);
    lines.push(
      `backend ${b.name}`,
      ...(b.preamble ?? []).map((l) => `  ${l}`),
      ...b.servers.map((s) => `  server ${s}`),
    );
  }
  const config = join(dir, `${name}.cfg`);
  writeFileSync(config, `${lines.join('\n')}\n`);
  const p = spawnLogged(name, 'haproxy', ['-db', '-f', config], dir);
  await waitFor(`${name} runtime API`, async () => existsSync(socket));
  for (const b of backends) await waitFor(`${name} :${b.frontendPort}`, () => portOpen(b.frontendPort));
  return { ...p, socket, config };
}

/** Pids of daemonised redis-servers under `root` (the Redis actuator's shadows write redis.pid). */
export function daemonPids(root: string): number[] {
  const out: number[] = [];
  const walk = (d: string, depth: number): void => {
    if (depth > 4 || !existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, depth + 1);
      else if (name === 'redis.pid') {
        const pid = Number(readFileSync(p, 'utf8').trim());
        if (Number.isInteger(pid) && pid > 0) out.push(pid);
      }
    }
  };
  walk(root, 0);
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the daemonised shadows under `root`: SIGTERM, then SIGKILL what is left after a grace. */
export async function stopDaemons(root: string, graceMs = 3_000): Promise<number> {
  const pids = daemonPids(root).filter(alive);
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
  return pids.length;
}
