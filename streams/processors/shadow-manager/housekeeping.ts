/**
 * The wall-clock round (every `tickMs`), which must run even when no record arrives: retires idle
 * predicted shadows (retirement.ts), times out and retries lifecycle steps (lifecycle.ts), times out
 * failover steps, declares silent hosts failed (heartbeat.ts) and drains the queue.
 */
import { collect, type FleetState } from './fleet-state.js';
import { heartbeatLost } from './heartbeat.js';
import type { HostFailoverRunner } from './host-failover-runner.js';
import { onTick, retire } from './lifecycle.js';
import { SHADOW_MANAGER_APPLICATION_ID } from './names.js';
import type { PlacementRunner } from './placement-runner.js';
import { retirementDue } from './retirement.js';

export class Housekeeping {
  constructor(
    private readonly fleet: FleetState,
    private readonly placement: PlacementRunner,
    private readonly failovers: HostFailoverRunner,
    /** Wall-clock start of this processor: no host is declared silent before it ran that long. */
    private readonly startedAt: number,
  ) {}

  async tick(now: number): Promise<void> {
    const { fleet } = this;
    const opts = fleet.opts;
    const views = await collect(fleet.hosts.all());
    const calm = new Map(views.map((v) => [v.hostId, v.calmSince]));
    for (const s of await collect(fleet.shadows.all())) {
      if (retirementDue(s, calm.get(s.primaryHost) ?? null, now, opts)) {
        fleet.apply(retire(s, now, `idle for ${opts.idleTtlMs} ms after risk subsided`), now);
        continue;
      }
      let t = onTick(s, now, opts);
      if (t.needsPlacement) t = await this.placement.withReplacement(t, now);
      if (t.record !== s) fleet.apply(t, now);
    }
    await this.failovers.tick(now);
    for (const v of views) {
      if (v.host !== null && v.host.state !== 'UP') continue; // drained or in maintenance: silence is expected
      if (heartbeatLost(v, now, this.startedAt, opts)) {
        const silentFor = now - (v.lastSeenAt ?? now);
        await this.failovers.onHostFailure(
          {
            host: v.hostId,
            region: v.host?.region ?? v.risk?.region ?? '',
            timestamp: now,
            kind: 'HEARTBEAT_LOST',
            source: SHADOW_MANAGER_APPLICATION_ID,
            detail: `no risk record for ${silentFor} ms`,
          },
          now,
          true,
        );
      }
    }
    await this.placement.drainQueue(now);
  }
}
