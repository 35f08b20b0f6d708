/**
 * Post-mortem traces of a failover (FORESHADOW_DRILL_TRACE=1): HAProxy's view of the backend and
 * the client's errors and connection events around the fault, to see where a failover's time goes.
 */
import type { WriteProbe } from '../../demo/client-load.js';
import { sleep } from '../../demo/real-processes.js';
import { HaproxyRuntimeApi } from '../../sinks/haproxy/runtime-api.js';

/**
 * FORESHADOW_DRILL_TRACE=1: HAProxy's view of the backend every 10 ms from the kill, as a list of
 * transitions ("+ms server addr op/admin"), to see where a failover's time goes.
 */
export function traceHaproxy(socket: string, backend: string, since: number): { stop(): Promise<string[]> } {
  const api = new HaproxyRuntimeApi(socket, 1_000);
  const seen = new Map<string, string>();
  const lines: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running && Date.now() - since < 5_000) {
      try {
        for (const s of await api.serversState(backend)) {
          const v = `${s.address}:${s.port} op=${s.opState} admin=${s.adminState}`;
          if (seen.get(s.name) !== v) {
            seen.set(s.name, v);
            lines.push(`haproxy +${Date.now() - since} ms ${s.name} ${v}`);
          }
        }
      } catch (err: unknown) {
        lines.push(`haproxy +${Date.now() - since} ms: ${err instanceof Error ? err.message : err}`);
      }
      await sleep(10);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return lines;
    },
  };
}

/** The client's failed ops after a kill, grouped by error message (with FORESHADOW_DRILL_TRACE=1). */
export function clientErrors(probe: WriteProbe, killAt: number): string[] {
  const errors = new Map<string, { first: number; last: number; n: number }>();
  for (const op of probe.ops) {
    if (op.ok || op.t < killAt - 50) continue;
    const e = errors.get(op.error ?? '?') ?? { first: op.t - killAt, last: 0, n: 0 };
    e.last = op.t - killAt;
    e.n++;
    errors.set(op.error ?? '?', e);
  }
  const events = probe.connectionEvents
    .filter((e) => e.t >= killAt - 50)
    .slice(0, 40)
    .map((e) => `${e.event}@${e.t - killAt}`);
  return [
    ...[...errors].map(([msg, e]) => `client: ${e.n}× "${msg}" from +${e.first} to +${e.last} ms`),
    `client connection: ${events.join(' ')}`,
  ];
}
