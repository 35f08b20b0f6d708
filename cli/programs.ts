/**
 * The programs a command drives, checked before it starts anything: on a fresh machine `npm start`
 * would otherwise crash on an unhandled `spawn redis-server ENOENT` minutes in. Missing Debian
 * programs are installed by the project's own script when this user may (root, or sudo without a
 * password prompt), as `npm test` does; otherwise the command stops at once naming what to run.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ForeshadowError } from '../streams/runtime/errors.js';

export const INSTALL_DEPS = 'bash stack/install-deps.sh';

export function onPath(program: string, path = process.env.PATH ?? ''): boolean {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

export function missingPrograms(programs: readonly string[], path?: string): string[] {
  return programs.filter((p) => !onPath(p, path));
}

/** FORESHADOW_NO_INSTALL=1: never install anything, only say what to run. */
function canInstall(): 'root' | 'sudo' | undefined {
  if (process.env.FORESHADOW_NO_INSTALL === '1') return undefined;
  if (process.getuid?.() === 0) return 'root';
  const sudo = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 5_000 });
  return sudo.status === 0 ? 'sudo' : undefined;
}

/**
 * Makes sure the Debian programs are there: installs them with stack/install-deps.sh when allowed,
 * else throws one line naming the command to run.
 */
export function ensureDebianPrograms(programs: readonly string[], log: (line: string) => void): void {
  const missing = missingPrograms(programs);
  if (missing.length === 0) return;
  const how = canInstall();
  if (!how) {
    throw new ForeshadowError(
      'CONFIG_INVALID',
      `${missing.join(', ')} not installed; run \`sudo ${INSTALL_DEPS}\` (or \`npm test\`, which does it) and try again`,
    );
  }
  log(`installing ${missing.join(', ')} with ${INSTALL_DEPS}${how === 'sudo' ? ' (sudo)' : ''}…`);
  const run = spawnSync('bash', ['stack/install-deps.sh'], { stdio: 'inherit' });
  const still = missingPrograms(programs);
  if (run.status !== 0 || still.length > 0)
    throw new ForeshadowError('CONFIG_INVALID', `${INSTALL_DEPS} did not install ${still.join(', ') || 'everything'}`);
}

/** The local stack's own needs (Java for the JVMs, Maven to fetch the jars), checked up front. */
export function requireStackTools(): void {
  const missing = missingPrograms(['java', 'mvn']);
  if (missing.length > 0)
    throw new ForeshadowError(
      'CONFIG_INVALID',
      `the local stack needs Java 17 and Maven (${missing.join(', ')} not found): install them (e.g. \`apt-get install openjdk-17-jre-headless maven\`), or point KAFKA_BROKERS and SCHEMA_REGISTRY_URL at a cluster`,
    );
}
