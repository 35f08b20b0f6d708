/**
 * A fresh machine: `npm start` (foreshadow demo) without the Debian programs it drives stops in
 * seconds with one line naming the command to run (here as a user who may not install: the
 * FORESHADOW_NO_INSTALL switch), instead of crashing minutes in on `spawn redis-server ENOENT`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { missingPrograms, onPath } from '../../cli/programs.js';

const run = promisify(execFile);

describe('programs a command drives', () => {
  it('finds executables on a PATH', () => {
    expect(onPath('sh')).toBe(true);
    expect(missingPrograms(['sh', 'no-such-program-xyz'])).toEqual(['no-such-program-xyz']);
    expect(missingPrograms(['sh'], '/nonexistent')).toEqual(['sh']);
  });

  it('foreshadow demo without redis-server and haproxy: one line naming the command, in seconds', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'foreshadow-fresh-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    try {
      const t0 = Date.now();
      const r = await run(process.execPath, ['--import', 'tsx', 'cli/foreshadow.ts', 'demo'], {
        env: { ...process.env, PATH: bin, FORESHADOW_NO_INSTALL: '1' },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code?: number; stderr?: string }) => ({ code: err.code ?? -1, stderr: err.stderr ?? '' }),
      );
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([
        'foreshadow: ForeshadowError: redis-server, haproxy not installed; run `sudo bash stack/install-deps.sh` (or `npm test`, which does it) and try again',
      ]);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
