/**
 * When services are really up, given when each one is first started and what it really needs
 * (ground truth). A service whose dependencies are not up yet either
 *   - crash-loops (`crash-loop`): it exits, and is restarted with back-off (Kubernetes'
 *     CrashLoopBackOff: 10 s doubling, capped at 5 min), each restart costing the back-off plus
 *     another start and readiness check (the instance stays booted) — what a service that fails
 *     fast on a missing dependency at start-up gets; or
 *   - waits (`wait`): it keeps running and retrying its dependencies, and passes the first
 *     readiness check (every `readinessMs`) after they are up — the kindest case for a cold start.
 * Both drill paths use it: the cold path relies on it to "discover" its dependencies, the warm
 * path only pays it for a dependency the mapped DAG missed.
 */

export type DependencyWait = 'crash-loop' | 'wait';

export interface CrashLoopOptions {
  /** Start of the service process on a booted instance. */
  appStartMs: number;
  readinessMs: number;
  crashLoopBaseMs: number;
  crashLoopCapMs: number;
}

export interface ServiceUp {
  upAt: number;
  restarts: number;
}

/** First (re)start attempt at or after `depsUpAt` of a service first up-or-failing at `startAt`. */
export function crashLoop(startAt: number, depsUpAt: number, o: CrashLoopOptions): ServiceUp {
  let attempt = startAt;
  let backoff = o.crashLoopBaseMs;
  let restarts = 0;
  while (attempt < depsUpAt) {
    attempt += backoff + o.appStartMs + o.readinessMs;
    backoff = Math.min(o.crashLoopCapMs, backoff * 2);
    restarts++;
  }
  return { upAt: attempt, restarts };
}

/** First readiness check at or after `depsUpAt` of a service that waits for its dependencies. */
export function waitFor(startAt: number, depsUpAt: number, o: CrashLoopOptions): ServiceUp {
  const checks = Math.max(0, Math.ceil((depsUpAt - startAt) / Math.max(1, o.readinessMs)));
  return { upAt: startAt + checks * o.readinessMs, restarts: 0 };
}

/** Up time of every started service; `needs` must be acyclic (cycle-internal edges left out). */
export function upTimes(
  startAt: ReadonlyMap<string, number>,
  needs: ReadonlyMap<string, readonly string[]>,
  o: CrashLoopOptions,
  policy: DependencyWait = 'crash-loop',
): Map<string, ServiceUp> {
  const resolve = policy === 'crash-loop' ? crashLoop : waitFor;
  const up = new Map<string, ServiceUp>();
  const visit = (s: string, path: Set<string>): number => {
    const known = up.get(s);
    if (known) return known.upAt;
    const start = startAt.get(s);
    if (start === undefined) return Number.POSITIVE_INFINITY; // never started: never up
    if (path.has(s)) throw new Error(`dependency cycle through ${s}`);
    path.add(s);
    const depsUp = Math.max(0, ...(needs.get(s) ?? []).map((d) => visit(d, path)));
    path.delete(s);
    const r = Number.isFinite(depsUp) ? resolve(start, depsUp, o) : { upAt: depsUp, restarts: 0 };
    up.set(s, r);
    return r.upAt;
  };
  for (const s of startAt.keys()) visit(s, new Set());
  return up;
}
