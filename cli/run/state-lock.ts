/**
 * One process per app state directory. Two `foreshadow run` processes of the same app on one
 * machine with the same stateDir would open the same RocksDB stores as tasks move between them
 * (RocksDB's own lock then fails the open, and the task waits); this lock makes the second process
 * stop at start with a message saying what to change. A lock left by a process that died is taken
 * over (its pid is no longer alive).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../streams/runtime/errors.js';

export const LOCK_FILE = '.foreshadow-run.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    // EPERM: it exists but belongs to another user.
    return (err as { code?: string }).code === 'EPERM';
  }
}

export interface StateLock {
  release(): void;
}

export function lockStateDir(dir: string, app: string): StateLock {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return { release: () => rmSync(file, { force: true }) };
    } catch (err: unknown) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new ConfigError(
          `${app}: its state directory ${dir} is in use by process ${holder}; give each \`foreshadow run\` process of an app its own stateDir (FORESHADOW_STATE_DIR)`,
          { dir, holder },
        );
      }
      rmSync(file, { force: true }); // left by a process that is gone
    }
  }
  throw new ConfigError(`${app}: cannot lock its state directory ${dir}`, { dir });
}
