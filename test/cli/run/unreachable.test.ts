/**
 * A cluster that is not there: `foreshadow run` and the benchmarks' stack check stop within 15 s
 * with one line naming the address and what to check, instead of minutes of client retries.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function attempt(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string; ms: number }> {
  const t0 = Date.now();
  return run(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, stderr: r.stderr, ms: Date.now() - t0 }),
    (err: { code?: number; stderr?: string }) => ({
      code: err.code ?? -1,
      stderr: err.stderr ?? '',
      ms: Date.now() - t0,
    }),
  );
}

describe('an unreachable cluster', () => {
  it('foreshadow run: one line within 15 s, exit 1', async () => {
    const r = await attempt(
      ['cli/foreshadow.ts', 'run', '--config', 'examples/foreshadow.yaml', '--apps', 'host-health'],
      {
        KAFKA_BROKERS: '127.0.0.1:1',
      },
    );
    expect(r.ms).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^foreshadow: ClusterUnreachable: cannot reach Kafka at 127\.0\.0\.1:1 \(.*ECONNREFUSED.*\); check cluster\.brokers/,
    );
  }, 30_000);

  it('the benchmarks: one line saying how to start the stack, exit 2', async () => {
    const r = await attempt(['bench/require-stack.ts'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(r.ms).toBeLessThan(15_000);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^cannot reach Kafka at 127\.0\.0\.1:1 .*start the local stack with `npm run stack:up`/),
    ]);
  }, 30_000);

  it('a registry that is not there is named too', async () => {
    const r = await attempt(['bench/require-stack.ts'], {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1/apis/ccompat/v7',
    });
    // Without a broker either, Kafka is named first; with one, the registry.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cannot reach (Kafka|the schema registry at http:\/\/127\.0\.0\.1:1)/);
  }, 30_000);
});
