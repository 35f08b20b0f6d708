/**
 * Runs the benchmark suite's short form against the real stack and checks the shape of what it
 * writes: every section present, every figure that could be measured positive and carrying its
 * conditions, everything else explicitly "not available" with a reason. Timings are not asserted:
 * the short form is far too small, and CI machines are shared.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Section, SuiteResult } from '../../bench/suite/types.js';
import { brokers } from '../support/kafka.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'foreshadow-bench-'));
const out = join(dir, 'suite-short.json');

function expectWellFormed(section: Section): void {
  expect(['ok', 'partial', 'not-available', 'failed']).toContain(section.status);
  for (const m of section.measurements) {
    expect(m.median, m.name).toBeGreaterThan(0);
    expect(m.runs.length, m.name).toBeGreaterThan(0);
    for (const r of m.runs) expect(r, m.name).toBeGreaterThan(0);
    expect(Object.keys(m.conditions).length, m.name).toBeGreaterThan(0);
  }
  for (const u of section.unavailable) expect(u.reason.length, u.name).toBeGreaterThan(0);
  if (section.status !== 'ok') expect(section.reason ?? '', 'a section that is not ok says why').not.toBe('');
}

describe('benchmark suite, short form', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every section with positive figures or an explicit reason', { timeout: 600_000 }, async () => {
    // CI's short form measures the pipeline's throughput only (latency, memory and scaling add
    // ~60 s of CI time and are exercised by `npm run bench -- --short`).
    const ciShort = process.env.FORESHADOW_CI_SHORT === '1' ? ['--pipeline-parts=throughput'] : [];
    await run(
      process.execPath,
      ['--import', 'tsx', 'bench/suite/run-suite.ts', '--short', `--out=${out}`, ...ciShort],
      {
        env: { ...process.env, KAFKA_BROKERS: brokers().join(',') },
        timeout: 590_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const r = JSON.parse(readFileSync(out, 'utf8')) as SuiteResult;
    expect(r.suite).toBe('foreshadow-bench');
    expect(r.mode).toBe('short');
    const { broker, clients, pipeline, peers } = r.sections;
    for (const s of [broker, clients, pipeline, peers]) expectWellFormed(s);

    // The broker's own tools and kafkajs need nothing but the stack: they must have run.
    expect(broker.status).toBe('ok');
    const names = new Set([...broker.measurements, ...clients.measurements].map((m) => m.name));
    for (const n of [
      'kafka-tools.producer-performance',
      'kafka-tools.consumer-performance',
      'kafkajs.produce',
      'kafkajs.consume',
      'kafkajs.transactions',
    ]) {
      expect(names, n).toContain(n);
    }
    expect(clients.verdict?.summary).toMatch(/platformatic/);

    // The peers ran on the same input; each one either measured or said why not.
    const peerNames = new Set([...peers.measurements.map((m) => m.name), ...peers.unavailable.map((u) => u.name)]);
    for (const g of ['eos', 'alos']) {
      for (const e of ['foreshadow', 'kafka-streams', 'quix'])
        expect(peerNames, `${e}.${g}`).toContain(`peers.${e}.${g}`);
    }
    expect(peers.ratios.length).toBe(4);
    for (const ratio of peers.ratios) {
      if (ratio.foreshadowOverPeer === null) expect(ratio.note ?? '').not.toBe('');
      else expect(ratio.foreshadowOverPeer).toBeGreaterThan(0);
    }

    // The pipeline either measured every figure it names or says, per figure, why it could not.
    expect(pipeline.measurements.length + pipeline.unavailable.length).toBeGreaterThan(0);
    expect(Object.keys(pipeline.targets).length).toBe(4);
  });
});
