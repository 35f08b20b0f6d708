/**
 * Runs pipeline apps as `foreshadow run --config <file> --apps <…>` child processes, a few apps per
 * child or one each, exactly as a deployment runs them. A child reports each app's readiness over
 * IPC (cli/run/runner.ts RunEvent); its output goes to `<runDir>/logs/<child>.log` (the pipeline
 * logs JSON, which would drown the terminal). Children are started in their own process group so
 * Ctrl-C reaches only the supervisor, which then stops them in reverse order (actuators before the
 * processors that feed them): SIGTERM, and SIGKILL after a grace period.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppName } from '../cli/run/app-names.js';
import type { RunEvent } from '../cli/run/runner.js';
import type { Progress } from './progress.js';

const CLI = fileURLToPath(new URL('../cli/foreshadow.ts', import.meta.url));

export interface ChildGroup {
  name: string;
  apps: readonly AppName[];
}

interface Running {
  group: ChildGroup;
  child: ChildProcess;
  exited: Promise<number | null>;
  log: string;
}

export class Supervisor {
  private readonly children: Running[] = [];
  private stopping = false;

  constructor(
    private readonly runDir: string,
    /** The foreshadow.yaml every child runs with. */
    private readonly configFile: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly progress: Progress,
    /** Called when a child exits while the supervisor is not stopping. */
    private readonly onCrash: (group: string, code: number | null) => void = () => {},
  ) {
    mkdirSync(join(runDir, 'logs'), { recursive: true });
  }

  pids(): number[] {
    return this.children.map((c) => c.child.pid ?? 0).filter((p) => p > 0);
  }

  /** Apps that reported a start failure, with the error. */
  readonly failed = new Map<AppName, string>();
  /** Each child's operability server (/metrics, /healthz, /readyz). */
  readonly operability = new Map<string, string>();

  /** Starts a child and resolves once every app in it reported ready or failed. */
  async start(group: ChildGroup, timeoutMs = 180_000): Promise<void> {
    const log = join(this.runDir, 'logs', `${group.name}.log`);
    const out = createWriteStream(log);
    const args = ['--import', 'tsx', CLI, 'run', '--config', this.configFile, '--apps', group.apps.join(',')];
    const child = spawn(process.execPath, args, {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const running: Running = { group, child, exited, log };
    this.children.push(running);
    void exited.then((code) => {
      if (!this.stopping) {
        this.progress.fail(`${group.name} exited (code ${code}); log: ${log}`);
        this.onCrash(group.name, code);
      }
    });
    const pending = new Set<string>(group.apps);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${group.name}: ${[...pending].join(', ')} not ready after ${timeoutMs} ms (${log})`)),
        timeoutMs,
      );
      child.on('message', (m: RunEvent) => {
        if (m.type === 'listening') this.operability.set(group.name, m.url);
        else if (m.type === 'ready') {
          pending.delete(m.app);
          this.progress.ready(`${m.app} (${(m.ms / 1000).toFixed(1)} s, pid ${child.pid})`);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        } else if (m.type === 'failed') {
          pending.delete(m.app);
          this.failed.set(m.app as AppName, m.error);
          this.progress.fail(`${m.app} failed to start: ${m.error} (log: ${log})`);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        if (pending.size > 0) reject(new Error(`${group.name} exited with ${code} before it was ready: ${tail(log)}`));
      });
    });
  }

  /** Stops every child, the last started first. */
  async stopAll(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    for (const r of [...this.children].reverse()) {
      if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
      r.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        this.progress.warn(`${r.group.name} did not stop in ${graceMs} ms: SIGKILL`);
        r.child.kill('SIGKILL');
      }, graceMs);
      await r.exited;
      clearTimeout(timer);
      this.progress.status(`stopped ${r.group.name}`);
    }
  }
}

function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
