/**
 * The local checkpoint of a task: per store, the changelog offset up to which the local RocksDB
 * state is known to be complete. Written atomically (temp file + rename) after the state is
 * durable, so a crash leaves either the old or the new checkpoint, never a torn one. An old
 * checkpoint only means a slightly longer (idempotent) changelog replay.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export type Checkpoint = Record<string, string>;

export async function readCheckpoint(path: string): Promise<Checkpoint> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (parsed === null || typeof parsed !== 'object') return {};
    const out: Checkpoint = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string' && /^\d+$/.test(v)) out[k] = v;
    return out;
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    // A corrupt checkpoint is not fatal: the full changelog replay rebuilds the state.
    return {};
  }
}

export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(checkpoint));
  await rename(tmp, path);
}
