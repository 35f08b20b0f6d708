import { describe, expect, it } from 'vitest';
import type { HostSample } from '../../../schemas/records/host-sample.js';
import type { MetricBaselineState, SeasonalProfile } from '../../../streams/processors/host-baseline/baseline.js';
import { hostBaselineStateSerde } from '../../../streams/processors/host-baseline/baseline-state-codec.js';
import {
  baselineRecord,
  type HostBaselineState,
  newHostBaselineState,
  updateHostBaseline,
} from '../../../streams/processors/host-baseline/host-state.js';
import { jsonSerde, packedJsonSerde } from '../../../streams/runtime/serdes.js';

const serde = hostBaselineStateSerde();
const encode = (s: HostBaselineState) => serde.serialize('t', s) as Buffer;
const decode = (b: Buffer) => serde.deserialize('t', b) as HostBaselineState;
const T0 = Date.UTC(2026, 0, 5);

function sample(i: number): HostSample {
  const metrics: Record<string, number> = {
    'cpu.utilization': 0.3 + 0.2 * Math.sin(i / 40) + 0.01 * Math.cos(i * 7.1),
    'mem.used_bytes': 4e9 + 1e7 * Math.sin(i / 9),
    'disk.utilization': i % 50 === 0 ? 0 : 0.61,
  };
  return { host: 'web-1', region: 'eu', zone: 'eu-b', timestamp: T0 + i * 60_000, metrics, tags: {}, source: 'json' };
}

/** A metric baseline as the packed-JSON serde stored it: profiles as full arrays from slot 0. */
function legacy(m: MetricBaselineState) {
  const full = (p: SeasonalProfile) => {
    const arrays = [0, 1, 2].map(() => new Array<number>(p.slots).fill(0));
    p.level.forEach((_, i) => {
      const slot = (p.base + i) % p.slots;
      arrays[0]![slot] = p.level[i]!;
      arrays[1]![slot] = p.spread[i]!;
      arrays[2]![slot] = p.visits[i]!;
    });
    return { slotMs: p.slotMs, level: arrays[0], spread: arrays[1], visits: arrays[2] };
  };
  return { ...m, daily: full(m.daily), weekly: full(m.weekly) };
}

function grown(samples: number): HostBaselineState {
  const s = newHostBaselineState('web-1');
  for (let i = 0; i < samples; i++) updateHostBaseline(s, sample(i));
  baselineRecord(s, T0 + samples * 60_000);
  return s;
}

describe('host-baseline state codec', () => {
  it('round-trips exactly (negative zero, ring, profiles, what was published)', () => {
    const s = grown(3_000);
    s.metrics['cpu.utilization']!.ring[3] = -0;
    const back = decode(encode(s));
    expect(back).toStrictEqual(s);
    for (let i = 3_000; i < 3_100; i++) {
      updateHostBaseline(s, sample(i));
      updateHostBaseline(back, sample(i));
    }
    expect(back).toStrictEqual(s);
  });

  it('holds only the seasonal slots a host reached: a young host is a few hundred bytes per metric', () => {
    const young = encode(grown(3));
    expect(young.length).toBeLessThan(3 * 400);
    // a week on, every slot is there: 216 slots x 20 bytes per metric and a full ring
    const old = encode(grown(8 * 24 * 60));
    expect(old.length).toBeGreaterThan(3 * (216 * 20 + 288 * 8));
  });

  it('reads state written as JSON or packed JSON before this codec (full-length profiles)', () => {
    const s = grown(200);
    const old = { ...s, metrics: Object.fromEntries(Object.entries(s.metrics).map(([n, m]) => [n, legacy(m)])) };
    const continued = (v: HostBaselineState) => {
      for (let i = 200; i < 400; i++) updateHostBaseline(v, sample(i));
      return baselineRecord(v, T0 + 400 * 60_000);
    };
    const expected = continued(structuredClone(s));
    for (const serde of [jsonSerde<unknown>(), packedJsonSerde<unknown>()]) {
      const back = decode(serde.serialize('t', old) as Buffer);
      expect(back.metrics['cpu.utilization']!.weekly).toMatchObject({ slots: 168, base: 0 });
      expect(continued(back)).toStrictEqual(expected);
    }
  });

  it('fails clearly on an unknown version, another kind of state or trailing bytes', () => {
    const bytes = encode(grown(10));
    const newer = Buffer.from(bytes);
    newer[2] = 7;
    expect(() => decode(newer)).toThrow(/host-baseline state: format version 7/);
    const other = Buffer.from(bytes);
    other[1] = 1;
    expect(() => decode(other)).toThrow(/kind 1, expected 2/);
    expect(() => decode(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/trailing/);
  });
});
