/**
 * Throwaway PostgreSQL clusters for the region drill and the PostgreSQL actuator's tests: initdb,
 * pg_ctl and pg_basebackup from the Debian packages (newest version in /usr/lib/postgresql), run
 * as the `postgres` user when we are root (the server refuses root), each in its own directory,
 * listening on a chosen loopback address and port. A standby is a pg_basebackup of its primary
 * with `-R` (standby.signal + primary_conninfo): a hot standby receiving streaming replication.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

async function pgBin(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql')).sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('PostgreSQL is not installed (stack/install-deps.sh)');
  return join('/usr/lib/postgresql', versions[0], 'bin');
}

/** Root runs the server tools as `postgres`; anyone else runs them as themselves. */
async function runAs(): Promise<{ prefix: string[]; uid?: number; gid?: number }> {
  if (userInfo().uid !== 0) return { prefix: [] };
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { prefix: ['runuser', '-u', 'postgres', '--'], uid, gid };
}

const HBA = [
  'local all all trust',
  'host all all 127.0.0.0/8 trust',
  'host replication all 127.0.0.0/8 trust',
  '',
].join('\n');

export interface PgClusterOptions {
  /** A directory of its own (created; handed to the postgres user when we are root). */
  dir: string;
  host: string;
  port: number;
}

export class PgCluster {
  private constructor(
    readonly dir: string,
    readonly host: string,
    readonly port: number,
    private readonly bin: string,
    private readonly as: { prefix: string[]; uid?: number; gid?: number },
  ) {}

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  private static async prepare(o: PgClusterOptions): Promise<PgCluster> {
    const bin = await pgBin();
    const as = await runAs();
    await mkdir(o.dir, { recursive: true, mode: 0o700 });
    if (as.uid !== undefined && as.gid !== undefined) {
      await chown(o.dir, as.uid, as.gid);
      // The postgres user must be able to reach its directory through ours (mkdtemp makes 0700):
      // every ancestor up to the temp folder gets the search bit for others.
      for (let d = dirname(o.dir); d !== dirname(d) && d !== tmpdir(); d = dirname(d)) {
        await chmod(d, ((await stat(d)).mode & 0o777) | 0o711);
      }
    }
    return new PgCluster(o.dir, o.host, o.port, bin, as);
  }

  private async tool(name: string, args: string[]): Promise<string> {
    const full = [...this.as.prefix, join(this.bin, name), ...args];
    const [cmd, ...rest] = full;
    const { stdout } = await run(cmd!, rest, { cwd: '/tmp', timeout: 120_000 });
    return stdout;
  }

  /** A new primary (initdb), started. */
  static async primary(o: PgClusterOptions): Promise<PgCluster> {
    const pg = await PgCluster.prepare(o);
    await pg.tool('initdb', ['-D', pg.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await pg.writeHba();
    await pg.start();
    return pg;
  }

  /** A hot standby of `primary` (pg_basebackup -R), started and replicating. */
  static async standbyOf(primary: PgCluster, o: PgClusterOptions): Promise<PgCluster> {
    const pg = await PgCluster.prepare(o);
    await pg.tool('pg_basebackup', [
      '-h',
      primary.host,
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      pg.dataDir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
    ]);
    await pg.writeHba();
    await pg.start();
    return pg;
  }

  private async writeHba(): Promise<void> {
    const file = join(this.dataDir, 'pg_hba.conf');
    await writeFile(file, HBA);
    if (this.as.uid !== undefined && this.as.gid !== undefined) await chown(file, this.as.uid, this.as.gid);
  }

  async start(): Promise<void> {
    await this.tool('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=${this.host} -c max_wal_senders=5 -c wal_keep_size=64MB`,
      'start',
    ]);
  }

  /** The postmaster's pid (first line of postmaster.pid), if it runs. */
  async pid(): Promise<number | undefined> {
    const text = await readFile(join(this.dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
    const pid = Number(text.split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** A hard failure: SIGKILL the postmaster (its backends exit when they see it gone). */
  async kill(): Promise<void> {
    const pid = await this.pid();
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  async stop(): Promise<void> {
    await this.tool('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop']).catch(() => '');
  }

  /** A client (the caller ends it). */
  async client(database = 'postgres', user = 'postgres'): Promise<Client> {
    const c = new Client({ host: this.host, port: this.port, user, database, connectionTimeoutMillis: 5_000 });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  }

  /** Runs one statement and returns its rows. */
  async sql<T extends Record<string, unknown>>(
    query: string,
    params: unknown[] = [],
    database = 'postgres',
  ): Promise<T[]> {
    const c = await this.client(database);
    try {
      return (await c.query<T>(query, params)).rows;
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}
