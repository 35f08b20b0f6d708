/**
 * A `foreshadow run` child process as the start-up benchmark, the scale-out drill and the
 * production tests drive it: the real CLI, its output kept in a log file, its operability server on
 * a port chosen up front, readiness read from /readyz (what an orchestrator would poll).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cli/foreshadow.ts', import.meta.url));

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunProcess {
  child: ChildProcess;
  apps: string;
  spawnedAt: number;
  /** The operability server (/metrics, /healthz, /readyz). */
  url: string;
  logFile: string;
  exited: Promise<number | null>;
  /** Waits for /readyz 200; resolves with ms since spawn. Rejects if the process exits first. */
  ready(timeoutMs?: number): Promise<number>;
  /** Sends the signal and waits for the exit (SIGKILL after graceMs); resolves with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  log(): string;
}

export interface RunProcessOptions {
  configFile: string;
  apps: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  operabilityPort?: number;
}

export async function spawnRun(o: RunProcessOptions): Promise<RunProcess> {
  const port = o.operabilityPort ?? (await freeLoopbackPort());
  const out = createWriteStream(o.logFile);
  const spawnedAt = Date.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'run', '--config', o.configFile, '--apps', o.apps, '--operability-port', String(port)],
    { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const log = (): string => {
    try {
      return readFileSync(o.logFile, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    child,
    apps: o.apps,
    spawnedAt,
    url,
    logFile: o.logFile,
    exited,
    log,
    async ready(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      let gone = false;
      void exited.then(() => {
        gone = true;
      });
      while (Date.now() < deadline) {
        if (gone) throw new Error(`foreshadow run --apps ${o.apps} exited before it was ready:\n${log().slice(-3000)}`);
        try {
          const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
          if (r.status === 200) return Date.now() - spawnedAt;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`foreshadow run --apps ${o.apps} not ready after ${timeoutMs} ms:\n${log().slice(-3000)}`);
    },
    async stop(signal = 'SIGTERM', graceMs = 40_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
