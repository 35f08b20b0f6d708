import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockStateDir } from '../../../cli/run/state-lock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('state directory lock', () => {
  it('one process per app state directory; a lock of a dead process is taken over', () => {
    const dir = mkdtempSync(join(tmpdir(), 'foreshadow-lock-'));
    dirs.push(dir);
    const lock = lockStateDir(dir, 'failure-risk');
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    lock.release();
    // Held by a live process (pid 1 is always there): refused with what to change.
    writeFileSync(join(dir, LOCK_FILE), '1');
    expect(() => lockStateDir(dir, 'failure-risk')).toThrow(
      /failure-risk: its state directory .* is in use by process 1; give each `foreshadow run` process of an app its own stateDir/,
    );
    // Left by a process that is gone: taken over.
    writeFileSync(join(dir, LOCK_FILE), '4194303');
    const again = lockStateDir(dir, 'failure-risk');
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    again.release();
  });
});
