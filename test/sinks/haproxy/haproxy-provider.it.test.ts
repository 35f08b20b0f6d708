import { writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HaproxyProvider } from '../../../sinks/haproxy/haproxy-provider.js';
import { draining, HaproxyRuntimeApi, inMaintenance } from '../../../sinks/haproxy/runtime-api.js';
import {
  ActuatorHarness,
  directContext,
  freePort,
  Program,
  removeDir,
  shadowCommand,
  tempDir,
  waitFor,
} from '../support.js';

/** One request on a fresh connection, so HAProxy balances it anew. */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An HTTP server answering its name, on a kernel-chosen port (no race for the port). */
function namedServer(name: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const s = createServer((_req, res) => res.end(name));
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      resolve({ server: s, port: typeof addr === 'object' && addr ? addr.port : 0 });
    });
  });
}

describe('HAProxy actuator (real haproxy, Runtime API)', () => {
  let dir: string;
  let haproxy: Program;
  let oldServer: Server;
  let newServer: Server;
  let frontPort: number;
  let oldPort: number;
  let newPort: number;
  let socket: string;
  let harness: ActuatorHarness;
  let provider: HaproxyProvider;

  beforeAll(async () => {
    dir = await tempDir('haproxy');
    frontPort = await freePort();
    ({ server: oldServer, port: oldPort } = await namedServer('old-instance'));
    ({ server: newServer, port: newPort } = await namedServer('new-instance'));
    socket = join(dir, 'admin.sock');
    const cfg = [
      'global',
      `  stats socket ${socket} mode 600 level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 10s',
      '  timeout server 10s',
      'frontend fe',
      `  bind 127.0.0.1:${frontPort}`,
      '  default_backend be_cache',
      'backend be_cache',
      `  server primary 127.0.0.1:${oldPort}`,
      '  server spare 127.0.0.1:1 disabled',
    ].join('\n');
    await writeFile(join(dir, 'haproxy.cfg'), `${cfg}\n`);
    haproxy = new Program('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')]);
    await waitFor('haproxy front end', () => get(frontPort), 15_000);
    provider = new HaproxyProvider({ runtimeApi: socket, backends: { 'cache-1': 'be_cache' } });
    harness = new ActuatorHarness(provider);
    await harness.start();
  });

  afterAll(async () => {
    await harness?.stop();
    await haproxy?.stop();
    oldServer?.close();
    newServer?.close();
    await removeDir(dir);
  });

  it('redirects the backend to the promoted instance, drains the old one, and refuses a stale epoch', async () => {
    expect(await get(frontPort)).toBe('200 old-instance');
    const base = {
      resourceId: 'cache-1',
      primaryAddress: `127.0.0.1:${oldPort}`,
      targetAddress: `127.0.0.1:${newPort}`,
    };

    const redirect = shadowCommand({ ...base, type: 'REDIRECT', epoch: 7 });
    // Reconciliation (after an actuator crash) only looks: not in place yet, so nothing to report.
    expect(await provider.reconcile({ source: 'shadow', command: redirect }, directContext())).toBeUndefined();
    await harness.send(redirect);
    const done = await harness.result(redirect.commandId);
    expect(done.status, done.detail).toBe('SUCCEEDED');
    expect(done.address).toBe(`127.0.0.1:${newPort}`);
    for (let i = 0; i < 5; i++) expect(await get(frontPort)).toBe('200 new-instance');

    const state = await new HaproxyRuntimeApi(socket).serversState('be_cache');
    const primary = state.find((s) => s.name === 'primary');
    const spare = state.find((s) => s.name === 'spare');
    expect(primary && draining(primary)).toBe(true);
    expect(spare?.port).toBe(newPort);
    expect(spare && inMaintenance(spare)).toBe(false);
    // Now it is in place: a crash before the record would find it instead of redirecting again.
    const seen = await provider.reconcile({ source: 'shadow', command: redirect }, directContext());
    expect(seen?.address).toBe(`127.0.0.1:${newPort}`);

    // An older epoch trying to send traffic back to the old instance is refused.
    const stale = shadowCommand({ ...base, type: 'REDIRECT', epoch: 6, targetAddress: `127.0.0.1:${oldPort}` });
    await harness.send(stale);
    expect((await harness.result(stale.commandId)).status).toBe('REJECTED_STALE_EPOCH');
    expect(await get(frontPort)).toBe('200 new-instance');

    // FENCE puts the old server in maintenance.
    const fence = shadowCommand({ ...base, type: 'FENCE', epoch: 7 });
    expect(await provider.reconcile({ source: 'shadow', command: fence }, directContext())).toBeUndefined();
    await harness.send(fence);
    expect((await harness.result(fence.commandId)).status).toBe('SUCCEEDED');
    const fenced = (await new HaproxyRuntimeApi(socket).serversState('be_cache')).find((s) => s.name === 'primary');
    expect(fenced && inMaintenance(fenced)).toBe(true);
    expect((await provider.reconcile({ source: 'shadow', command: fence }, directContext()))?.detail).toMatch(
      /maintenance/,
    );
  });

  it('answers a clear permanent failure for an unknown backend without retrying forever', async () => {
    const bad = shadowCommand({
      resourceId: 'cache-9',
      type: 'REDIRECT',
      targetAddress: `127.0.0.1:${newPort}`,
      config: { 'haproxy.backend': 'be_missing' },
    });
    await harness.send(bad);
    const r = await harness.result(bad.commandId);
    expect(r.status).toBe('FAILED');
    expect(r.retriable).toBe(false);
    expect(r.attempt).toBe(1);
    expect(r.detail).toMatch(/be_missing/);
  });
});
