import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../bench/suite/options.js';

const env = { KAFKA_BROKERS: '127.0.0.1:9092' };

describe('benchmark suite options', () => {
  it('defaults to the full form with every stage and the target latency rate', () => {
    const o = parseOptions([], env);
    expect(o.mode).toBe('full');
    expect(o.repeats).toBe(3);
    expect([...o.only]).toEqual(['broker', 'clients', 'pipeline', 'peers']);
    expect(o.pipelineLatencyRate).toBeUndefined();
    expect(o.rawRecords).toBe(1_000_000);
  });

  it('reads the pipeline flags', () => {
    const o = parseOptions(
      [
        '--only=pipeline',
        '--pipeline-parts=latency,memory',
        '--pipeline-latency-rate=2000',
        '--pipeline-hosts=20000',
        '--pipeline-memory-hosts=10000,100000',
        '--guarantees=alos',
      ],
      env,
    );
    expect([...o.only]).toEqual(['pipeline']);
    expect([...o.pipelineParts]).toEqual(['latency', 'memory']);
    expect(o.pipelineLatencyRate).toBe(2000);
    expect(o.pipelineHosts).toBe(20_000);
    expect(o.pipelineMemoryHosts).toEqual([10_000, 100_000]);
    expect(o.guarantees).toEqual(['alos']);
  });

  it('short form: small sizes and one repeat', () => {
    const o = parseOptions(['--short'], env);
    expect(o.mode).toBe('short');
    expect(o.repeats).toBe(1);
    expect(o.rawRecords).toBe(50_000);
  });

  it('refuses unknown stages, unknown parts and a latency rate below 1', () => {
    expect(() => parseOptions(['--only=nope'], env)).toThrow(/unknown stage "nope"/);
    expect(() => parseOptions(['--pipeline-parts=speed'], env)).toThrow(/unknown part "speed"/);
    expect(() => parseOptions(['--pipeline-latency-rate=0'], env)).toThrow();
    expect(() => parseOptions(['--pipeline-latency-rate=fast'], env)).toThrow();
  });
});
