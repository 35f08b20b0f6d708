import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNamedFiles } from '../../../bench/region-failover/real/named.js';
import { DnsProvider } from '../../../sinks/dns/dns-provider.js';
import { FenceMoved, nsupdate } from '../../../sinks/dns/nsupdate.js';
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

const run = promisify(execFile);

/** Asks the test's named with the real dig: answer lines "name ttl class type value". */
async function dig(port: number, name: string, type = 'A'): Promise<string[]> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+noall', '+answer', '+tcp', name, type]);
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(/\s+/).join(' '));
}

describe('DNS actuator (real BIND 9, RFC 2136 + TSIG)', () => {
  let dir: string;
  let port: number;
  let named: Program;
  let harness: ActuatorHarness;
  let provider: DnsProvider;
  const secret = randomBytes(32).toString('base64');

  beforeAll(async () => {
    dir = await tempDir('dns');
    port = await freePort();
    await writeNamedFiles(dir, {
      port,
      zone: 'svc.test',
      keyName: 'foreshadow-test',
      secret,
      ttl: 300,
      negativeTtl: 30,
      records: ['cache IN A 10.0.0.1'],
    });
    named = new Program('named', ['-g', '-4', '-c', join(dir, 'named.conf')]);
    await waitFor(
      'named answering',
      async () => ((await dig(port, 'cache.svc.test')).length > 0 ? true : undefined),
      20_000,
    );
    process.env.TEST_DNS_TSIG_SECRET = secret;
    provider = new DnsProvider({
      server: '127.0.0.1',
      port,
      zone: 'svc.test',
      keyName: 'foreshadow-test',
      keySecretEnv: 'TEST_DNS_TSIG_SECRET',
      ttl: 30,
      records: { 'cache-1': 'cache.svc.test' },
    });
    harness = new ActuatorHarness(provider);
    await harness.start();
  });

  afterAll(async () => {
    await harness?.stop();
    await named?.stop();
    await removeDir(dir);
  });

  it('repoints the record with a short TTL, and refuses a stale epoch', async () => {
    expect(await dig(port, 'cache.svc.test')).toEqual(['cache.svc.test. 300 IN A 10.0.0.1']);
    const redirect = shadowCommand({
      resourceId: 'cache-1',
      type: 'REDIRECT',
      epoch: 5,
      targetAddress: '10.0.0.2:6379',
    });
    // Reconciliation (after an actuator crash) only looks: the server still answers the old address.
    expect(await provider.reconcile({ source: 'shadow', command: redirect }, directContext())).toBeUndefined();
    await harness.send(redirect);
    const r = await harness.result(redirect.commandId);
    expect(r.status, r.detail).toBe('SUCCEEDED');
    expect(r.address).toBe('10.0.0.2');
    expect(r.detail).not.toContain(secret);
    expect(await dig(port, 'cache.svc.test')).toEqual(['cache.svc.test. 30 IN A 10.0.0.2']);
    expect((await provider.reconcile({ source: 'shadow', command: redirect }, directContext()))?.address).toBe(
      '10.0.0.2',
    );

    const stale = shadowCommand({ resourceId: 'cache-1', type: 'REDIRECT', epoch: 4, targetAddress: '10.0.0.1:6379' });
    await harness.send(stale);
    expect((await harness.result(stale.commandId)).status).toBe('REJECTED_STALE_EPOCH');
    expect(await dig(port, 'cache.svc.test')).toEqual(['cache.svc.test. 30 IN A 10.0.0.2']);

    // Fencing at the server: the epoch went into TXT beside the record with the redirect.
    expect(await dig(port, '_foreshadow-epoch.cache.svc.test', 'TXT')).toEqual([
      '_foreshadow-epoch.cache.svc.test. 30 IN TXT "5"',
    ]);
    // A stale instance that got past its own ledger (frozen after its checks) is refused by the
    // server's epoch, not by anything in the actuator's memory.
    const late = await provider.redirect(
      shadowCommand({ resourceId: 'cache-1', type: 'REDIRECT', epoch: 4, targetAddress: '10.0.0.1:6379' }),
    );
    expect(late.status).toBe('REJECTED_STALE_EPOCH');
    expect(late.detail).toContain('epoch 5');
    // The race itself: an update based on a stale read of the epoch (4, then 5 was written) fails
    // its prerequisite atomically on the server and changes nothing.
    const update = {
      server: '127.0.0.1',
      port,
      zone: 'svc.test',
      key: { name: 'foreshadow-test', algorithm: 'hmac-sha256', secret },
      name: 'cache.svc.test',
      ttl: 30,
      type: 'A' as const,
      value: '10.0.0.1',
    };
    await expect(
      nsupdate({ ...update, fence: { name: '_foreshadow-epoch.cache.svc.test', expected: 4, epoch: 7 } }),
    ).rejects.toBeInstanceOf(FenceMoved);
    await expect(
      nsupdate({ ...update, fence: { name: '_foreshadow-epoch.cache.svc.test', expected: undefined, epoch: 7 } }),
    ).rejects.toBeInstanceOf(FenceMoved);
    expect(await dig(port, 'cache.svc.test')).toEqual(['cache.svc.test. 30 IN A 10.0.0.2']);
    expect(await dig(port, '_foreshadow-epoch.cache.svc.test', 'TXT')).toEqual([
      '_foreshadow-epoch.cache.svc.test. 30 IN TXT "5"',
    ]);

    // A host name target becomes a CNAME (replacing the A record atomically).
    const cname = shadowCommand({
      resourceId: 'cache-1',
      type: 'REDIRECT',
      epoch: 6,
      targetAddress: 'replica.other.test:6379',
    });
    await harness.send(cname);
    expect((await harness.result(cname.commandId)).status).toBe('SUCCEEDED');
    expect(await dig(port, 'cache.svc.test', 'CNAME')).toEqual(['cache.svc.test. 30 IN CNAME replica.other.test.']);
    // No A record is left: an A query is answered with the CNAME alone.
    expect(await dig(port, 'cache.svc.test', 'A')).toEqual(['cache.svc.test. 30 IN CNAME replica.other.test.']);
    expect(await dig(port, '_foreshadow-epoch.cache.svc.test', 'TXT')).toEqual([
      '_foreshadow-epoch.cache.svc.test. 30 IN TXT "6"',
    ]);
  });

  it('fails permanently (no retries) when the TSIG key is wrong, without leaking it', async () => {
    const wrong = randomBytes(32).toString('base64');
    process.env.TEST_DNS_TSIG_WRONG = wrong;
    const bad = new ActuatorHarness(
      new DnsProvider({
        server: '127.0.0.1',
        port,
        zone: 'svc.test',
        keyName: 'foreshadow-test',
        keySecretEnv: 'TEST_DNS_TSIG_WRONG',
        records: { 'cache-2': 'cache2.svc.test' },
      }),
    );
    await bad.start();
    try {
      const cmd = shadowCommand({ resourceId: 'cache-2', type: 'REDIRECT', targetAddress: '10.0.0.9' });
      await bad.send(cmd);
      const r = await bad.result(cmd.commandId);
      expect(r).toMatchObject({ status: 'FAILED', retriable: false, attempt: 1 });
      expect(r.detail).not.toContain(wrong);
      expect(await dig(port, 'cache2.svc.test')).toEqual([]);
    } finally {
      await bad.stop();
    }
  });
});
