/**
 * Scale-out (bench/scale-out/takeover.ts, short form): three `foreshadow run --apps host-health`
 * processes, exactly-once, one SIGKILLed while samples flow. The other two take its partitions over
 * within the session timeout plus a restore, and every sample has exactly one effect in
 * metrics.samples and in health.risk (no loss, no duplicate). The result is written to a temp
 * directory (README figures come from `npm run bench:takeover`, bench/results/takeover.json).
 * FORESHADOW_TAKEOVER_LONG=1 runs the long form (200 hosts, three kills).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LONG_TAKEOVER, runTakeoverDrill, SHORT_TAKEOVER } from '../../bench/scale-out/takeover.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { brokers, registryUrl } from '../support/kafka.js';

const long = process.env.FORESHADOW_TAKEOVER_LONG === '1';

describe('scale-out: three host-health processes, one SIGKILLed', () => {
  it(
    'the survivors take its partitions over; every sample has exactly one effect',
    async () => {
      const conn = loadConnection({
        ...process.env,
        KAFKA_BROKERS: brokers().join(','),
        SCHEMA_REGISTRY_URL: registryUrl(),
      });
      const result = await runTakeoverDrill(conn, {
        ...(long ? LONG_TAKEOVER : SHORT_TAKEOVER),
        log: (l) => console.log(`[takeover] ${l}`),
      });
      writeFileSync(
        join(mkdtempSync(join(tmpdir(), 'foreshadow-takeover-result-')), 'takeover.json'),
        JSON.stringify(result, null, 2),
      );
      console.log(
        `[takeover] ${JSON.stringify({ rounds: result.rounds, samples: result.samples, risk: result.risk })}`,
      );
      expect(result.samplesSent).toBeGreaterThan(500);
      expect(result.input).toMatchObject({ delivered: result.samplesSent, missing: 0, duplicated: 0 });
      expect(result.samples, JSON.stringify(result.duplicateExamples)).toMatchObject({
        delivered: result.samplesSent,
        missing: 0,
        duplicated: 0,
      });
      expect(result.risk).toMatchObject({ delivered: result.samplesSent, missing: 0, duplicated: 0 });
      expect(result.rounds).toHaveLength(long ? 3 : 1);
      for (const r of result.rounds) {
        expect(r.ingestPartitions.length + r.riskPartitions.length, 'the victim owned partitions').toBeGreaterThan(0);
        // Session timeout (10 s) + rebalance + fencing + restore, with headroom for a loaded machine.
        expect(r.ingestTakeoverMs).toBeLessThan(60_000);
        expect(r.riskTakeoverMs).toBeLessThan(60_000);
      }
      expect(
        result.drainExitCodes.every((c) => c === 0),
        JSON.stringify(result.drainExitCodes),
      ).toBe(true);
    },
    long ? 900_000 : 240_000,
  );
});
