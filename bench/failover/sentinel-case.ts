/**
 * Redis Sentinel's side of the failover drill: a primary, its replica and three sentinels (quorum
 * 2) with a given down-after-milliseconds, behind the same HAProxy arrangement and the same client
 * as Foreshadow's. Each trial gets the same two faults: a pause (SIGSTOP … SIGCONT) shorter than
 * down-after, where any +switch-master is a failover that should not have happened, then a
 * SIGKILL. Sentinel's own events (+sdown, +odown, +switch-master, from all three sentinels) time
 * its detection and promotion.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { WriteProbe } from '../../demo/client-load.js';
import type { Progress } from '../../demo/progress.js';
import { freePort, type HaproxyBackend, sleep, startHaproxy, stopProcess, waitFor } from '../../demo/real-processes.js';
import { CHECK, ROLE_CHECK } from './foreshadow-case.js';
import {
  killTrial,
  lostWrites,
  outageAround,
  replicationLag,
  servingPort,
  waitForRecovery,
  watchPromotion,
} from './measure.js';
import { SENTINEL_MASTER, startSentinelSetup } from './sentinel.js';
import { clientErrors, traceHaproxy } from './trace.js';
import type { FalsePositiveTrial, Trial } from './types.js';

interface SentinelEvent {
  at: number;
  channel: string;
  message: string;
}

/** Subscribes to the master's down and switch events on every sentinel. */
async function watchSentinels(ports: number[]): Promise<{ events: SentinelEvent[]; stop(): void }> {
  const events: SentinelEvent[] = [];
  const subs: Redis[] = [];
  for (const port of ports) {
    const sub = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    sub.on('error', () => undefined);
    await sub.connect();
    await sub.subscribe('+sdown', '+odown', '+promoted-slave', '+switch-master');
    sub.on('message', (channel: string, message: string) => {
      // +sdown/+odown also name replicas and sentinels; only the master's matter here.
      if (
        channel === '+switch-master' ||
        channel === '+promoted-slave' ||
        message.startsWith(`master ${SENTINEL_MASTER} `)
      )
        events.push({ at: Date.now(), channel, message });
    });
    subs.push(sub);
  }
  return {
    events,
    stop() {
      for (const s of subs) s.disconnect();
    },
  };
}

/** `downAfterMs` null = Sentinel's defaults (30 s down-after, 180 s failover timeout). */
export async function sentinelTrial(
  downAfterMs: number | null,
  o: { steadyMs: number; pauseShare: number; progress: Progress },
): Promise<Trial> {
  const label = downAfterMs === null ? 'sentinel-default' : `sentinel-${downAfterMs}`;
  const dir = mkdtempSync(join(tmpdir(), `foreshadow-drill-${label}-`));
  const p = o.progress;
  const setup = await startSentinelSetup(
    dir,
    label,
    downAfterMs,
    downAfterMs === null ? null : Math.max(2_000, downAfterMs * 3),
  );
  const backend: HaproxyBackend = {
    name: 'be_sentinel',
    frontendPort: await freePort(),
    preamble: ROLE_CHECK,
    servers: [`r1 ${setup.primary.address} ${CHECK}`, `r2 ${setup.replica.address} ${CHECK}`],
  };
  const haproxy = await startHaproxy(dir, [backend], `${label}-haproxy`);
  const probe = new WriteProbe({ port: backend.frontendPort, pauseMs: 2, keyPrefix: `${label}:${Date.now()}` });
  const watch = await watchSentinels(setup.sentinelPorts);
  const effectiveDownAfter = downAfterMs ?? 30_000;
  try {
    // HAProxy starts every server UP; the replica is only taken out by its first failed checks.
    let streak = 0;
    await waitFor(
      'HAProxy to route only to the primary',
      async () => {
        streak = (await servingPort(backend.frontendPort)) === setup.primary.port ? streak + 1 : 0;
        return streak >= 10;
      },
      20_000,
    );
    await probe.start();
    await sleep(o.steadyMs);

    // 1. False positive: a pause shorter than down-after (pauseShare 0: none).
    const pauseMs = Math.round(effectiveDownAfter * o.pauseShare);
    let falsePositive: FalsePositiveTrial = {
      pauseMs: 0,
      watchedMs: 0,
      failovers: 0,
      failuresDeclared: 0,
      clientOutageMs: null,
    };
    if (pauseMs > 0) {
      const watchedMs = pauseMs + 2 * effectiveDownAfter + 3_000;
      const pausedAt = Date.now();
      setup.primary.child.kill('SIGSTOP');
      await sleep(pauseMs);
      setup.primary.child.kill('SIGCONT');
      await sleep(watchedMs - (Date.now() - pausedAt));
      const inPause = watch.events.filter((e) => e.at >= pausedAt);
      falsePositive = {
        pauseMs,
        watchedMs,
        failovers: inPause.filter((e) => e.channel === '+switch-master').length,
        failuresDeclared: inPause.filter((e) => e.channel === '+odown').length,
        clientOutageMs: outageAround(probe, pausedAt).unavailabilityMs,
      };
      p.event(
        `${label}: paused ${pauseMs} ms → ${falsePositive.failovers} failover(s), ${falsePositive.failuresDeclared} +odown`,
      );
      if (falsePositive.failovers > 0) return { falsePositive, kill: null };
      await sleep(o.steadyMs);
    }

    // 2. The kill.
    const measuredLagBytesAtKill = await replicationLag(setup.primary.port, setup.replica.port);
    const promotion = await watchPromotion(setup.replica.port);
    const killAt = Date.now();
    const trace =
      process.env.FORESHADOW_DRILL_TRACE === '1' ? traceHaproxy(haproxy.socket, backend.name, killAt) : undefined;
    setup.primary.child.kill('SIGKILL');
    p.event(`${label}: primary killed (down-after-milliseconds ${downAfterMs ?? 'default 30000'})`);
    await waitFor(
      'Sentinel to promote the replica',
      async () => watch.events.some((e) => e.at >= killAt && e.channel === '+switch-master'),
      effectiveDownAfter + 120_000,
    );
    await waitForRecovery(probe, backend.frontendPort, setup.replica.port, 60_000);
    await sleep(o.steadyMs);
    await probe.stop();
    const promotedAt = await promotion.stop();
    const notes: string[] = [];
    if (trace) notes.push(...(await trace.stop()), ...clientErrors(probe, killAt));
    const timeline: Record<string, number> = {};
    const first = (channel: string) => watch.events.find((e) => e.at >= killAt && e.channel === channel);
    const sdown = first('+sdown');
    const odown = first('+odown');
    const promotedSlave = first('+promoted-slave');
    const switched = first('+switch-master');
    if (sdown) timeline.sdownMs = sdown.at - killAt;
    if (odown) timeline.detectedMs = odown.at - killAt;
    // Promoted: the replica answering as the primary (Sentinel announces it later, on its next INFO).
    if (promotedAt !== null) timeline.promotedMs = promotedAt - killAt;
    if (promotedSlave) timeline.sentinelPromotedSlaveMs = promotedSlave.at - killAt;
    if (switched) timeline.sentinelSwitchedMs = switched.at - killAt;
    const out = outageAround(probe, killAt);
    if (out.faultToFirstWriteMs !== null) timeline.firstWriteMs = out.faultToFirstWriteMs;
    // Sentinel reports no replication lag to its users: nothing allowed for.
    const kill = killTrial(out, await lostWrites(probe, null), {
      reportedLagBytes: null,
      measuredLagBytesAtKill,
      newPrimaryServing: (await servingPort(backend.frontendPort)) === setup.replica.port,
      timeline,
      notes,
    });
    p.event(
      `${label}: +sdown ${timeline.sdownMs ?? '?'} ms, +odown ${timeline.detectedMs ?? '?'} ms, promoted ${timeline.promotedMs ?? '?'} ms, +switch-master ${timeline.sentinelSwitchedMs ?? '?'} ms, first write ${timeline.firstWriteMs ?? '?'} ms; unavailable ${kill.unavailabilityMs} ms`,
    );
    return { falsePositive, kill };
  } finally {
    watch.stop();
    await probe.stop().catch(() => undefined);
    for (const sp of setup.sentinels) await stopProcess(sp);
    await stopProcess(haproxy);
    await stopProcess(setup.replica);
    setup.primary.child.kill('SIGCONT');
    await stopProcess(setup.primary);
    rmSync(dir, { recursive: true, force: true });
  }
}
