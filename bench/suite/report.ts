/**
 * The printed table: one line per figure with its median, spread and the conditions that matter
 * most, then the peer ratios and the client verdict, then everything that could not be measured
 * and why — so a reader of the console output never mistakes a gap for a zero.
 */
import type { Measurement, Section, SuiteResult } from './types.js';

function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : String(Math.round(n * 100) / 100);
}

function spread(m: Measurement): string {
  if (m.runs.length < 2) return '';
  return `${fmt(Math.min(...m.runs))}..${fmt(Math.max(...m.runs))}`;
}

function brief(m: Measurement): string {
  const c = m.conditions;
  const keys = [
    'records',
    'samples',
    'rate',
    'hosts',
    'keys',
    'recordBytes',
    'valueBytes',
    'partitions',
    'guarantee',
    'isolation',
    'processes',
  ];
  const parts = keys.filter((k) => c[k] !== undefined).map((k) => `${k}=${c[k]}`);
  const extra = m.extra ? Object.entries(m.extra).map(([k, v]) => `${k}=${fmt(v)}`) : [];
  return [...parts, ...extra].join(' ');
}

function sectionLines(title: string, s: Section): string[] {
  const lines = [`\n== ${title} [${s.status}]${s.measuredAt ? ` measured ${s.measuredAt}` : ''}`];
  for (const m of s.measurements) {
    lines.push(
      `  ${m.name.padEnd(34)} ${fmt(m.median).padStart(12)} ${m.unit.padEnd(10)} ${spread(m).padEnd(20)} ${brief(m)}`,
    );
  }
  for (const u of s.unavailable) lines.push(`  ${u.name.padEnd(34)} ${'not available'.padStart(12)}  ${u.reason}`);
  if (s.measurements.length === 0 && s.unavailable.length === 0 && s.reason) lines.push(`  ${s.reason}`);
  return lines;
}

export function formatTable(r: SuiteResult): string {
  const lines = [
    `Foreshadow benchmark suite (${r.mode}, ${r.repeats} repeat(s), medians; runs range shown), ${r.startedAt} .. ${r.finishedAt}`,
    `machine: ${r.machine.cpus} cpus, load ${r.machine.loadAvgStart.map((l) => l.toFixed(1)).join('/')} at start, ${r.machine.loadAvgEnd.map((l) => l.toFixed(1)).join('/')} at end; node ${r.machine.node}; ${r.machine.kafka}`,
    ...sectionLines('1. broker limit (Apache Kafka perf tools)', r.sections.broker),
    ...sectionLines('2. client limit (raw, no processing)', r.sections.clients),
  ];
  if (r.sections.clients.verdict) lines.push(`  verdict: ${r.sections.clients.verdict.summary}`);
  lines.push(...sectionLines('3. pipeline (samples -> baseline -> risk)', r.sections.pipeline));
  lines.push(`  targets: ${Object.values(r.sections.pipeline.targets).join('; ')}`);
  lines.push(...sectionLines('4. peers (windowed mean/count)', r.sections.peers));
  for (const ratio of r.sections.peers.ratios) {
    const v =
      ratio.foreshadowOverPeer === null
        ? `n/a (${ratio.note ?? 'not measured'})`
        : `Foreshadow/${ratio.peer} = ${ratio.foreshadowOverPeer}x`;
    lines.push(`  ratio ${ratio.peer} ${ratio.guarantee}: ${v}; target ${ratio.target}`);
  }
  return lines.join('\n');
}
