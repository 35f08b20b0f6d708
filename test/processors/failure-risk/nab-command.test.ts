import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNabCorpus, parseNabTimestamp, replaySeries } from '../../../bench/nab/nab-corpus.js';
import { command } from '../../../cli/commands/nab.js';

const pad = (n: number) => String(n).padStart(2, '0');
const stamp = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};

describe('foreshadow nab', () => {
  let dir = '';
  const T0 = Date.UTC(2014, 3, 1);
  const STEP = 5 * 60_000;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nab-'));
    await mkdir(join(dir, 'data', 'synthetic'), { recursive: true });
    // a daily sine with a level shift at row 1500 (window 1450..1550)
    const rows = Array.from(
      { length: 2000 },
      (_, i) =>
        `${stamp(T0 + i * STEP)},${(10 + 3 * Math.sin((2 * Math.PI * i) / 288) + (i >= 1500 ? 15 : 0) + 0.1 * Math.sin(i * 7.3)).toFixed(4)}`,
    );
    await writeFile(join(dir, 'data', 'synthetic', 'shift.csv'), `timestamp,value\n${rows.join('\n')}\n`);
    await writeFile(
      join(dir, 'combined_windows.json'),
      JSON.stringify({
        'synthetic/shift.csv': [[`${stamp(T0 + 1450 * STEP)}.000000`, `${stamp(T0 + 1550 * STEP)}.000000`]],
      }),
    );
    await writeFile(
      join(dir, 'profiles.json'),
      JSON.stringify({ standard: { CostMatrix: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 } } }),
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses NAB timestamps as UTC, with or without fractions', () => {
    expect(parseNabTimestamp('2014-04-10 07:15:00')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(Date.UTC(2014, 3, 10, 7, 15));
  });

  it('writes mirrored result files and scores them', async () => {
    const out = join(dir, 'results');
    expect(await command.run(['--data', dir, '--out', out])).toBe(0);
    const csv = (await readFile(join(out, 'synthetic', 'foreshadow_shift.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('timestamp,value,anomaly_score,label');
    expect(csv).toHaveLength(2001);
    const rows = csv.slice(1).map((l) => l.split(','));
    expect(rows.filter((r) => r[3] === '1')).toHaveLength(101);
    const scores = rows.map((r) => Number(r[2]));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(Math.max(...scores.slice(1500, 1551))).toBeGreaterThan(Math.max(...scores.slice(400, 1450)));
    const report = JSON.parse(await readFile(join(out, 'scores.json'), 'utf8')) as {
      results: Array<{ profile: string; normalised: number; tp: number }>;
    };
    expect(report.results[0]!.profile).toBe('standard');
    expect(report.results[0]!.tp).toBe(1);
    expect(report.results[0]!.normalised).toBeGreaterThan(50);
  });

  it('is deterministic: replaying twice gives identical scores', () => {
    const [series] = loadNabCorpus(dir);
    const a = replaySeries(series!);
    const b = replaySeries(series!);
    expect(a.scores).toEqual(b.scores);
    expect(a.scores).toHaveLength(2000);
  });
});
