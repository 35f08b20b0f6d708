/**
 * Child-process entry point: `tsx demo/run-app.ts <app> [<app>...]` starts the named pipeline apps
 * (demo/apps.ts) and reports each one's readiness to the supervisor over the IPC channel. It stops
 * cleanly on SIGTERM/SIGINT, and also when the IPC channel closes: a supervisor that died (even by
 * SIGKILL) must not leave its pipeline running as orphans. An app that fails to start is reported
 * and the others keep running.
 */
import { loadConnection } from '../streams/runtime/config.js';
import { describeError } from '../streams/runtime/errors.js';
import { isAppName, type RunningApp, readRuntimeConfig, setAppFatalHandler, startApp } from './apps.js';

export type ChildMessage =
  | { type: 'starting'; app: string }
  | { type: 'ready'; app: string; ms: number }
  | { type: 'failed'; app: string; error: string }
  | { type: 'stopped' };

function tell(m: ChildMessage): void {
  if (process.send) process.send(m);
  else console.log(JSON.stringify(m));
}

async function main(names: string[]): Promise<void> {
  const conn = loadConnection();
  const cfg = readRuntimeConfig();
  const running: RunningApp[] = [];
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // A close that hangs (a broker gone, a stuck commit) must not leave an orphan behind.
    setTimeout(() => process.exit(code === 0 ? 1 : code), 20_000).unref();
    // The apps of a group are independent consumers: closing them together takes as long as the
    // slowest one (each waits for its in-flight batch and leaves its group), not the sum.
    await Promise.all(
      running.map((app) =>
        app.close().catch((err: unknown) => console.error(`closing ${app.name}: ${describeError(err)}`)),
      ),
    );
    tell({ type: 'stopped' });
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
  process.once('disconnect', () => void stop(0));
  // An app that stopped for good takes its child down (non-zero), so the supervisor sees it.
  setAppFatalHandler((app, err) => {
    tell({ type: 'failed', app, error: describeError(err) });
    void stop(1);
  });
  for (const name of names) {
    if (!isAppName(name)) {
      tell({ type: 'failed', app: name, error: 'unknown app' });
      return stop(2);
    }
    const t0 = Date.now();
    tell({ type: 'starting', app: name });
    try {
      running.push(await startApp(name, conn, cfg));
      tell({ type: 'ready', app: name, ms: Date.now() - t0 });
    } catch (err: unknown) {
      // One app that cannot start (e.g. a processor still being finished) must not take its
      // siblings down: the supervisor decides whether the run can go on without it.
      tell({ type: 'failed', app: name, error: describeError(err) });
    }
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  tell({ type: 'failed', app: process.argv.slice(2).join(','), error: describeError(err) });
  process.exit(1);
});
