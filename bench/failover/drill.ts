/**
 * The failover drill, like for like: the same faults — a Redis primary behind HAProxy paused for
 * less than down-after (SIGSTOP … SIGCONT), then SIGKILLed — handled by Foreshadow detecting on its
 * own (two probers and the quorum judge, foreshadow-case.ts) and by Redis Sentinel (three
 * sentinels, sentinel-case.ts), each told to detect at the same settings: probe every interval,
 * down after no good answer for down-after (Sentinel: PING every min(1 s, down-after),
 * down-after-milliseconds). The same client writes and reads through the same HAProxy checks in
 * every case and measures the outage, and the acknowledged writes are checked on the new primary
 * after every kill. Trials interleave the cases so machine load hits them alike.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEAD_LETTER_TOPICS, TOPICS } from '../../streams/catalogue.js';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { ensureTopics } from '../../streams/runtime/topic-admin.js';
import { ForeshadowPipeline, VANTAGES } from './foreshadow-case.js';
import { spread } from './measure.js';
import { sentinelTrial } from './sentinel-case.js';
import type { CaseResult, DetectionSettings, DrillOptions, FailoverDrillResult, Trial } from './types.js';

export type { CaseResult, DrillOptions, FailoverDrillResult } from './types.js';

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** Sentinel PINGs every second, or every down-after when that is shorter. */
export function sentinelSettings(downAfterMs: number): DetectionSettings {
  return { probeIntervalMs: Math.min(1_000, downAfterMs), downAfterMs };
}

export function caseResult(
  name: string,
  system: CaseResult['system'],
  detection: DetectionSettings,
  trials: Trial[],
): CaseResult {
  const kills = trials.flatMap((t) => (t.kill ? [t.kill] : []));
  const first = kills[0];
  const sum = (f: (k: NonNullable<Trial['kill']>) => number) => kills.reduce((a, k) => a + f(k), 0);
  return {
    name,
    system,
    detection,
    trials,
    summary: {
      unavailabilityMs: spread(kills.map((k) => k.unavailabilityMs)),
      killToFirstWriteMs: spread(kills.map((k) => k.killToFirstWriteMs)),
      detectedMs: spread(kills.map((k) => k.timeline.detectedMs)),
      promotedMs: spread(kills.map((k) => k.timeline.promotedMs)),
      redirectedMs: spread(kills.map((k) => k.timeline.redirectedMs)),
      falseFailovers: trials.reduce((a, t) => a + t.falsePositive.failovers, 0),
      ackedWrites: sum((k) => k.ackedWrites),
      lostAckedWrites: sum((k) => k.lostAckedWrites),
      lostBeyondReportedLag: sum((k) => k.lostBeyondReportedLag),
    },
    unavailabilityMs: first?.unavailabilityMs ?? null,
    killToFirstWriteMs: first?.killToFirstWriteMs ?? null,
    ackedWrites: first?.ackedWrites ?? 0,
    lostAckedWrites: first?.lostAckedWrites ?? 0,
    reportedLagBytes: first?.reportedLagBytes ?? null,
    measuredLagBytesAtKill: first?.measuredLagBytesAtKill ?? null,
    newPrimaryServing: kills.length > 0 && kills.every((k) => k.newPrimaryServing),
    timeline: first?.timeline ?? {},
    notes: first?.notes ?? [],
  };
}

const foreshadowName = (s: DetectionSettings) =>
  `Foreshadow, own probes every ${s.probeIntervalMs} ms, down after ${s.downAfterMs} ms (quorum 2 of ${VANTAGES.length} probers)`;
const sentinelName = (downAfterMs: number | null) =>
  downAfterMs === null
    ? 'Redis Sentinel, defaults (down-after-milliseconds 30000)'
    : `Redis Sentinel, down-after-milliseconds ${downAfterMs} (PING every ${sentinelSettings(downAfterMs).probeIntervalMs} ms, quorum 2 of 3)`;

export async function runFailoverDrill(
  conn: KafkaConnection,
  o: DrillOptions,
  short: boolean,
): Promise<FailoverDrillResult> {
  const before = uptime();
  const p = o.progress;
  // The catalogue (resource.probes included) as `foreshadow topics` makes it: idempotent.
  const admin = createKafka(conn, 'foreshadow-drill-topics').admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [...TOPICS, ...DEAD_LETTER_TOPICS]);
  } finally {
    await admin.disconnect();
  }
  const dir = mkdtempSync(join(tmpdir(), 'foreshadow-drill-'));
  const fs = o.settings.map((): Trial[] => []);
  const sentinel = o.settings.map((): Trial[] => []);
  const pipeline = await ForeshadowPipeline.start(conn, dir, o.trials * o.settings.length, p);
  try {
    for (let t = 0; t < o.trials; t++) {
      for (const [i, s] of o.settings.entries()) {
        p.step(`trial ${t + 1}/${o.trials}: ${foreshadowName(s)}`);
        fs[i]!.push(await pipeline.trial(s, o));
        p.step(`trial ${t + 1}/${o.trials}: ${sentinelName(s.downAfterMs)}`);
        sentinel[i]!.push(await sentinelTrial(s.downAfterMs, o));
      }
    }
  } finally {
    await pipeline.stop();
    await deleteRunTopics(conn, `-drill-${pipeline.runTag}`);
    // FORESHADOW_KEEP_DRILL=1 keeps the logs of the pipeline's child processes for a post-mortem.
    if (process.env.FORESHADOW_KEEP_DRILL !== '1') rmSync(dir, { recursive: true, force: true });
    else p.status(`kept ${dir}`);
  }
  const cases: CaseResult[] = o.settings.flatMap((s, i) => [
    caseResult(foreshadowName(s), 'foreshadow', s, fs[i]!),
    caseResult(sentinelName(s.downAfterMs), 'sentinel', sentinelSettings(s.downAfterMs), sentinel[i]!),
  ]);
  if (o.sentinelDefault) {
    p.step('Redis Sentinel with its defaults (one trial)');
    // No pause: one of 60 % of 30 s would only show HAProxy's own outage for 18 s.
    cases.push(
      caseResult(sentinelName(null), 'sentinel', sentinelSettings(30_000), [
        await sentinelTrial(null, { ...o, pauseShare: 0 }),
      ]),
    );
  }
  return { when: new Date().toISOString(), short, trials: o.trials, load: { before, after: uptime() }, cases };
}

/** The run's internal topics (fleet, changelogs, repartitions) are named after its application ids. */
async function deleteRunTopics(conn: KafkaConnection, suffix: string): Promise<void> {
  const admin = createKafka(conn, 'foreshadow-drill-cleanup').admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => t.includes(suffix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  } catch {
    // Leftover internal topics are harmless; a failed cleanup must not fail the drill.
  } finally {
    await admin.disconnect();
  }
}

const ms = (s: { median: number | null; min: number | null; max: number | null; n: number }): string =>
  s.median === null ? 'n/a' : s.n > 1 && s.min !== s.max ? `${s.median} (${s.min}–${s.max})` : String(s.median);

/** The README table: medians over the trials (range in brackets). */
export function failoverTable(r: FailoverDrillResult): string {
  const rows = [
    [
      'case',
      'unavailable (ms)',
      'kill → failure declared',
      '→ promoted',
      '→ redirected',
      '→ first write',
      'false failovers (pauses)',
      'acked writes lost (beyond reported lag) / acked',
    ],
    ...r.cases.map((c) => [
      c.name,
      ms(c.summary.unavailabilityMs),
      ms(c.summary.detectedMs),
      ms(c.summary.promotedMs),
      c.system === 'sentinel' ? '-' : ms(c.summary.redirectedMs),
      ms(c.summary.killToFirstWriteMs),
      c.trials[0]?.falsePositive.pauseMs
        ? `${c.summary.falseFailovers} (${c.trials.length} × ${c.trials[0].falsePositive.pauseMs} ms)`
        : '-',
      `${c.summary.lostAckedWrites} (${c.summary.lostBeyondReportedLag}) / ${c.summary.ackedWrites}`,
    ]),
  ];
  return [
    `| ${rows[0]!.join(' | ')} |`,
    `| ${rows[0]!.map(() => '---').join(' | ')} |`,
    ...rows.slice(1).map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}
