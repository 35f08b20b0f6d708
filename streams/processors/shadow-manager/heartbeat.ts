/**
 * Heartbeat-loss detection. Every host that reports risk is expected to do so every interval; one
 * silent for `missedIntervals` intervals is declared failed (kind HEARTBEAT_LOST). Times are
 * wall-clock arrival times, and nothing is declared until the detector itself has run for the same
 * span, so a restart after downtime (when every stored "last seen" is old) cannot fail the fleet.
 */

export interface HeartbeatLimits {
  heartbeatIntervalMs: number;
  heartbeatMissedIntervals: number;
}

export interface HeartbeatView {
  lastSeenAt: number | null;
  failedAt: number | null;
}

export function silenceLimitMs(limits: HeartbeatLimits): number {
  return limits.heartbeatIntervalMs * limits.heartbeatMissedIntervals;
}

export function heartbeatLost(
  view: HeartbeatView,
  now: number,
  detectorStartedAt: number,
  limits: HeartbeatLimits,
): boolean {
  if (view.lastSeenAt === null || view.failedAt !== null) return false;
  const limit = silenceLimitMs(limits);
  return now - detectorStartedAt > limit && now - view.lastSeenAt > limit;
}
