/**
 * A throwaway PostgreSQL cluster for connector tests: initdb + pg_ctl from the Debian packages,
 * run as the `postgres` user (the server refuses root) on a free loopback port in a temp dir.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function pgBin(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql')).sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('PostgreSQL is not installed (stack/install-deps.sh)');
  return join('/usr/lib/postgresql', versions[0], 'bin');
}

export class TestPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
    private readonly asUser: string[],
  ) {}

  static async start(port: number): Promise<TestPostgres> {
    const bin = await pgBin();
    const dir = await mkdtemp(join(tmpdir(), 'foreshadow-pg-'));
    // As root, hand the directory to the postgres user and run every server tool through runuser.
    const root = userInfo().uid === 0;
    if (root) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    const pg = new TestPostgres(dir, port, bin, root ? ['runuser', '-u', 'postgres', '--'] : []);
    await pg.tool('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    await pg.tool('pg_ctl', [
      '-D',
      join(dir, 'data'),
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ]);
    await pg.sql('postgres', 'CREATE ROLE foreshadow LOGIN');
    await pg.sql('postgres', 'CREATE DATABASE foreshadow OWNER foreshadow');
    return pg;
  }

  private async tool(name: string, args: string[]): Promise<string> {
    const [cmd, ...pre] = this.asUser.length ? this.asUser : [join(this.bin, name)];
    const full = this.asUser.length ? [...pre, join(this.bin, name), ...args] : args;
    const { stdout } = await run(cmd ?? name, full, { cwd: '/tmp' });
    return stdout;
  }

  /** Runs SQL with the real psql; rows as `a|b|c` lines. */
  async sql(db: string, query: string): Promise<string[]> {
    const { stdout } = await run('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-U',
      'postgres',
      '-d',
      db,
      '-At',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      query,
    ]);
    return stdout.split('\n').filter((l) => l.length > 0);
  }

  jdbcUrl(db = 'foreshadow'): string {
    return `jdbc:postgresql://127.0.0.1:${this.port}/${db}`;
  }

  async stop(): Promise<void> {
    await this.tool('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']).catch(() => '');
    await rm(this.dir, { recursive: true, force: true });
  }
}
