/**
 * The demo's story in process, as a fast guard for the end-to-end demo test (demo.it.test.ts): the
 * fleet `npm start` publishes (demo/fleet-script.ts with the demo's options) goes through the risk
 * engine as the failure-risk processor runs it (one model per task, shared by the hosts of the
 * task's partition) and through the shadow manager's trigger with the demo's thresholds. For start
 * times spread over a week (the hour of day, weekday and minute of the hour all shape the story),
 * the Redis primary's host must be shadowed on prediction: the trigger fires tens of sim minutes
 * before the scripted death, and the host never stays calm long enough for its predicted shadow to
 * be retired before the death.
 */
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEMO } from '../../demo/demo.js';
import { DEMO_SHADOW_MANAGER } from '../../demo/demo-config.js';
import { DEMO_FLEET, DemoFleet, defaultIncidents } from '../../demo/fleet-script.js';
import { buildWorld, DEFAULT_WORLD } from '../../demo/world.js';
import type { HostSample } from '../../schemas/records/host-sample.js';
import { topicSpec } from '../../streams/catalogue.js';
import { newModel } from '../../streams/processors/failure-risk/model.js';
import {
  applyOutcome,
  DEFAULT_RISK_OPTIONS,
  evaluateSample,
  type HostRiskState,
  newHostRiskState,
} from '../../streams/processors/failure-risk/risk-engine.js';
import { shadowManagerOptions } from '../../streams/processors/shadow-manager/options.js';
import { shouldShadow } from '../../streams/processors/shadow-manager/priority.js';

const MINUTE = 60_000;
const manager = shadowManagerOptions(DEMO_SHADOW_MANAGER);
const partitions = topicSpec('metrics.samples').partitions;
const partitioner = Partitioners.DefaultPartitioner();
/** The partition the producers (murmur2 on the host key) put a host's samples on. */
function partitionOf(host: string): number {
  return partitioner({
    topic: 'metrics.samples',
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    })),
    message: { key: host, value: null },
  });
}

/** A Telegraf host's step reaches metric-ingest as two records: system metrics and the app's http.*. */
function asIngested(s: HostSample, json: boolean): HostSample[] {
  if (json) return [s];
  const pick = (app: boolean) =>
    Object.fromEntries(Object.entries(s.metrics).filter(([k]) => k.startsWith('http.') === app));
  return [
    { ...s, metrics: pick(false) },
    { ...s, metrics: pick(true) },
  ];
}

interface Story {
  /** Sim minutes after the live phase started. */
  firstTrigger: number | null;
  death: number | null;
  /** Longest run of sim minutes with pFail below the exit threshold between the trigger and the death. */
  longestCalm: number;
}

function replay(now: number): Story {
  const o = DEFAULT_DEMO;
  const world = buildWorld({ ...DEFAULT_WORLD, seed: o.seed }, now);
  const primaryHost = world.redis[0]!.host;
  const fleet = new DemoFleet({
    ...DEMO_FLEET,
    world,
    seed: o.seed,
    acceleration: o.acceleration,
    historyMs: o.historyHours * 3_600_000,
    incidents: defaultIncidents(world),
    now,
  });
  // Only the hosts of the primary's task share its model: the others need not be scored.
  const task = partitionOf(primaryHost);
  const model = newModel();
  const states = new Map<string, HostRiskState>();
  const story: Story = { firstTrigger: null, death: null, longestCalm: 0 };
  let calmSince: number | null = null;
  const liveMinute = (t: number) => (t - fleet.liveSimStart) / MINUTE;
  for (const step of fleet.steps()) {
    for (const s of step.samples) {
      if (partitionOf(s.host) !== task) continue;
      let state = states.get(s.host);
      if (!state) {
        state = newHostRiskState(s.host, s.region, s.zone);
        states.set(s.host, state);
      }
      for (const part of asIngested(s, fleet.jsonHosts.has(s.host))) {
        const risk = evaluateSample(state, model, part, DEFAULT_RISK_OPTIONS);
        if (s.host !== primaryHost || step.t < fleet.liveSimStart) continue;
        if (shouldShadow(risk, manager)) story.firstTrigger ??= liveMinute(step.t);
        if (story.firstTrigger === null) continue;
        if (risk.pFail >= manager.exitThreshold) calmSince = null;
        else calmSince ??= step.t;
        if (calmSince !== null) story.longestCalm = Math.max(story.longestCalm, (step.t - calmSince) / MINUTE);
      }
    }
    for (const f of step.failures) {
      const state = states.get(f.host);
      if (state) applyOutcome(state, model, f.timestamp, 'host-failure', DEFAULT_RISK_OPTIONS);
      if (f.host === primaryHost) story.death = liveMinute(f.timestamp);
    }
    if (story.death !== null) return story;
  }
  return story;
}

describe('the demo story, in process', () => {
  // A weekday evening, a weekend night, a weekend afternoon (the earliest trigger) and a weekday
  // morning (the longest calm between triggers), each at a different minute of the hour.
  const starts = ['2026-11-30T20:21:00Z', '2026-11-28T03:47:00Z', '2026-11-29T17:33:00Z', '2026-11-26T08:58:00Z'];
  it.each(starts)('started at %s: the Redis host is shadowed on prediction well before it dies', (start) => {
    const story = replay(Date.parse(start));
    expect(story.death, 'the scripted death happens in the live phase').not.toBeNull();
    expect(story.firstTrigger, 'the trigger fires before the death').not.toBeNull();
    // The shadow needs ~10 s of wall time to be placed and synced: 5 sim minutes at ×30.
    expect(story.death! - story.firstTrigger!).toBeGreaterThanOrEqual(30);
    // A predicted shadow whose host stays calm for idleTtlMs (wall clock) is retired.
    const calmWallMs = (story.longestCalm * MINUTE) / DEFAULT_DEMO.acceleration;
    expect(calmWallMs).toBeLessThan(manager.idleTtlMs);
  });
});
