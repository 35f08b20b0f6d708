/**
 * The drill's DNS: BIND 9 (`named -g`, our child) on a loopback port, authoritative for one zone
 * that accepts RFC 2136 updates signed with a TSIG key made per drill, as production BIND would.
 * The drill points the records at the primary region before each run; the failover moves them
 * through the DNS actuator; `dig` reads them back.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { nsupdate } from '../../../sinks/dns/nsupdate.js';

const run = promisify(execFile);

export const TSIG_KEY_NAME = 'foreshadow-drill';

export interface NamedFiles {
  port: number;
  zone: string;
  /** The TSIG key allowed to update the zone (RFC 2136), hmac-sha256. */
  keyName: string;
  secret: string;
  /** The zone's default TTL and its negative-caching TTL (SOA minimum), seconds. */
  ttl: number;
  negativeTtl: number;
  /** Zone-file lines after the SOA, NS and the name server's own A record. */
  records?: string[];
}

/**
 * named.conf and the zone file for a loopback, authoritative-only BIND that accepts signed
 * updates to one zone (the drill's and the DNS actuator test's).
 */
export async function writeNamedFiles(dir: string, o: NamedFiles): Promise<void> {
  const conf = `
options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${o.port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  allow-query { any; };
  dnssec-validation no;
};
controls { };
key "${o.keyName}" { algorithm hmac-sha256; secret "${o.secret}"; };
zone "${o.zone}" {
  type primary;
  file "${dir}/${o.zone}.zone";
  allow-update { key "${o.keyName}"; };
};
`;
  const zoneFile = [
    `$TTL ${o.ttl}`,
    `@ IN SOA ns.${o.zone}. admin.${o.zone}. 1 3600 600 86400 ${o.negativeTtl}`,
    `@ IN NS ns.${o.zone}.`,
    'ns IN A 127.0.0.1',
    ...(o.records ?? []),
    '',
  ].join('\n');
  await writeFile(join(dir, 'named.conf'), conf, { mode: 0o600 });
  await writeFile(join(dir, `${o.zone}.zone`), zoneFile);
}

export class DrillNamed {
  private constructor(
    readonly port: number,
    readonly zone: string,
    readonly secret: string,
    private readonly child: ChildProcess,
    private output: { text: string },
  ) {}

  static async start(dir: string, port: number, zone: string): Promise<DrillNamed> {
    const secret = randomBytes(32).toString('base64');
    await writeNamedFiles(dir, { port, zone, keyName: TSIG_KEY_NAME, secret, ttl: 30, negativeTtl: 5 });
    const output = { text: '' };
    const child = spawn('named', ['-g', '-4', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer): void => {
      output.text = (output.text + d.toString()).slice(-4_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const named = new DrillNamed(port, zone, secret, child, output);
    const deadline = Date.now() + 20_000;
    while ((await named.dig(`ns.${zone}`).catch(() => [])).length === 0) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`named did not start: ${output.text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return named;
  }

  /** The A record's answers for `name`, read with the real dig. */
  async dig(name: string): Promise<string[]> {
    const { stdout } = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(this.port),
      '+short',
      '+tcp',
      '+time=1',
      name,
      'A',
    ]);
    return stdout.split('\n').filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l.trim()));
  }

  /** Points `records` (name → address) where the drill wants them, unfenced (set-up, not a failover). */
  async set(records: Record<string, string>): Promise<void> {
    await Promise.all(
      Object.entries(records).map(([name, value]) =>
        nsupdate({
          server: '127.0.0.1',
          port: this.port,
          zone: this.zone,
          key: { name: TSIG_KEY_NAME, algorithm: 'hmac-sha256', secret: this.secret },
          name,
          ttl: 5,
          type: 'A',
          value,
        }),
      ),
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  get log(): string {
    return this.output.text;
  }
}
