/**
 * Child processes under test: spawned with their output kept in a log file (for the post-mortem of
 * a failed run), peak RSS read from the kernel (VmHWM) while they are still alive, and stopped
 * gracefully with a hard kill as the fallback so no run leaves an engine behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const BENCH_CACHE = join(homedir(), '.cache/foreshadow/bench');

/** Extra node flags for an engine from an environment variable, e.g. '--cpu-prof --cpu-prof-dir=DIR'. */
export function nodeArgsFrom(variable: string): string[] {
  return (process.env[variable] ?? '').split(' ').filter((a) => a !== '');
}

export interface Engine {
  child: ChildProcess;
  spawnedAt: number;
  logFile: string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Lines printed on stdout so far (small: the programs print a line or two). */
  stdoutLines: string[];
}

export function startEngine(
  name: string,
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Engine {
  const dir = join(BENCH_CACHE, 'logs');
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, `${name}-${Date.now()}.log`);
  const log = createWriteStream(logFile);
  const spawnedAt = Date.now();
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdoutLines: string[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    if (stdoutLines.length < 1000) stdoutLines.push(...lines);
  });
  child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      log.end();
      resolve(code);
    });
    child.once('error', (err) => {
      log.write(`spawn error: ${err.message}\n`);
      resolve(-1);
    });
  });
  return { child, spawnedAt, logFile, exited, stdoutLines };
}

/** Peak resident set size in MiB (VmHWM), or undefined once the process is gone. */
export function peakRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function stopEngine(e: Engine, graceMs = 15_000): Promise<void> {
  if (e.child.exitCode !== null || e.child.signalCode !== null) return;
  e.child.kill('SIGTERM');
  const timer = setTimeout(() => e.child.kill('SIGKILL'), graceMs);
  await e.exited;
  clearTimeout(timer);
}

export function logTail(file: string, chars = 600): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-chars).replace(/\s+/g, ' ').trim();
  } catch {
    return '';
  }
}
