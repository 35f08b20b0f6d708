/**
 * The wall-clock round (every `tickMs`), which must run even when no record arrives: drops ended
 * maintenance windows (control-inputs.ts), retires idle predicted shadows (retirement.ts) unless
 * automation is paused, times out and retries lifecycle steps (lifecycle.ts), times out failover
 * steps and releases held ones, declares silent hosts failed (heartbeat.ts) and drains the queue.
 * Recommended shadows (advise mode) wait for nothing, so nothing times them out; found by a manager
 * in act mode they go back to the queue, to be placed for real.
 */
import type { ControlInputs } from './control-inputs.js';
import { collect, type FleetState } from './fleet-state.js';
import { heartbeatLost } from './heartbeat.js';
import type { HostFailoverRunner } from './host-failover-runner.js';
import { isTerminal, onTick, retire } from './lifecycle.js';
import { SHADOW_MANAGER_APPLICATION_ID } from './names.js';
import type { PlacementRunner } from './placement-runner.js';
import { retirementDue } from './retirement.js';
import type { ShadowRecord } from './types.js';

/** A recommendation an act-mode manager found: back in the queue, as if never placed. */
function requeued(s: ShadowRecord, now: number): ShadowRecord {
  return {
    ...s,
    state: 'QUEUED',
    advisory: false,
    shadowHost: '',
    shadowAddress: '',
    placements: 0,
    attempts: 0,
    excludedHosts: [],
    pendingCommandId: '',
    retryAt: null,
    reason: 'recommended in advise mode; queued to be carried out',
    updatedAt: now,
    stateSince: now,
    accountedAt: null,
  };
}

export class Housekeeping {
  constructor(
    private readonly fleet: FleetState,
    private readonly placement: PlacementRunner,
    private readonly failovers: HostFailoverRunner,
    private readonly controls: ControlInputs,
    /** Wall-clock start of this processor: no host is declared silent before it ran that long. */
    private readonly startedAt: number,
  ) {}

  async tick(now: number): Promise<void> {
    const { fleet } = this;
    const opts = fleet.opts;
    await this.controls.tick(now);
    const paused = (await fleet.controlBook()).pause !== null;
    // A snapshot of the in-memory views: this round's decisions below change some of them.
    const views = [...(await fleet.hostViews())];
    const calm = new Map(views.map((v) => [v.hostId, v.calmSince]));
    for (const s of await collect(fleet.shadows.all())) {
      // Before anything else: a RETIRE of a shadow that was never made must not reach an actuator.
      if (s.advisory === true && !fleet.advising && !isTerminal(s.state)) {
        fleet.saveShadow(requeued(s, now), now, true);
        continue;
      }
      if (!paused && retirementDue(s, calm.get(s.primaryHost) ?? null, now, opts)) {
        fleet.apply(retire(s, now, `idle for ${opts.idleTtlMs} ms after risk subsided`), now);
        continue;
      }
      if (s.advisory === true) continue; // a recommendation waits for no result
      let t = onTick(s, now, opts);
      if (t.needsPlacement) t = await this.placement.withReplacement(t, now);
      if (t.record !== s) fleet.apply(t, now);
    }
    await this.failovers.tick(now);
    const silent = views.filter(
      // Drained or in maintenance: silence is expected.
      (v) => (v.host === null || v.host.state === 'UP') && heartbeatLost(v, now, this.startedAt, opts),
    );
    // In the hosts store's key order, as a scan of it would have acted on them.
    silent.sort((a, b) => Buffer.compare(Buffer.from(a.hostId), Buffer.from(b.hostId)));
    for (const v of silent) {
      const silentFor = now - (v.lastSeenAt ?? now);
      await this.failovers.onHostFailure(
        {
          host: v.hostId,
          region: v.host?.region ?? v.risk?.region ?? '',
          timestamp: now,
          kind: 'HEARTBEAT_LOST',
          source: SHADOW_MANAGER_APPLICATION_ID,
          detail: `no risk record for ${silentFor} ms`,
          resourceId: '',
        },
        now,
        true,
      );
    }
    await this.placement.drainQueue(now);
  }
}
