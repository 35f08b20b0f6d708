/**
 * Every command-line entry point parses its flags strictly (node:util parseArgs): an unknown or
 * misspelt flag is refused with a message naming it and exit code 2, before any work starts.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../bench/suite/options.js';
import { numberFlag, parseFlags, UsageError } from '../../cli/args.js';
import type { CliCommand } from '../../cli/command.js';
import { parseDagSvgArgs } from '../../cli/commands/dag-svg.js';
import { demoOptions } from '../../cli/commands/demo.js';
import { command as detect } from '../../cli/commands/detect.js';
import { parseInventoryArgs } from '../../cli/commands/inventory.js';
import { parseRunArgs } from '../../cli/commands/run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SPEC = {
  command: 'demo',
  usage: 'usage: demo [--name N] [--fast]',
  options: { name: { type: 'string' }, fast: { type: 'boolean' } },
} as const;

function refusal(run: () => unknown): UsageError {
  try {
    run();
  } catch (err: unknown) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('parseFlags', () => {
  it('reads known flags in both spellings', () => {
    expect(parseFlags(['--name', 'a', '--fast'], SPEC).values).toEqual({ name: 'a', fast: true });
    expect(parseFlags(['--name=b'], SPEC).values).toEqual({ name: 'b' });
  });

  it('refuses an unknown flag, naming it and the known ones', () => {
    const err = refusal(() => parseFlags(['--nmae', 'a'], SPEC));
    expect(err.message).toBe('demo: unknown argument --nmae (known: --name, --fast)');
    expect(err.usage).toBe(SPEC.usage);
  });

  it('refuses a missing value, a value on a switch and a stray word', () => {
    expect(refusal(() => parseFlags(['--name'], SPEC)).message).toMatch(/^demo: --name needs a value/);
    expect(refusal(() => parseFlags(['--name', '--fast'], SPEC)).message).toMatch(/^demo: --name needs a value/);
    expect(refusal(() => parseFlags(['--fast=yes'], SPEC)).message).toBe('demo: --fast does not take a value');
    expect(refusal(() => parseFlags(['extra'], SPEC)).message).toBe('demo: unexpected argument extra');
    expect(parseFlags(['extra'], { ...SPEC, positionals: true }).positionals).toEqual(['extra']);
  });

  it('reads numbers and refuses text, negatives and fractions where integers are due', () => {
    expect(numberFlag('12', 'n', SPEC)).toBe(12);
    expect(numberFlag(undefined, 'n', SPEC)).toBeUndefined();
    expect(refusal(() => numberFlag('ten', 'n', SPEC)).message).toBe('demo: --n needs a number ≥ 0, got "ten"');
    expect(() => numberFlag('-1', 'n', SPEC)).toThrow(UsageError);
    expect(() => numberFlag('1.5', 'n', SPEC, { integer: true })).toThrow(/needs an integer/);
  });
});

describe('foreshadow commands refuse unknown flags before doing anything', () => {
  // Every module of cli/commands, so a new command is held to it without being listed here.
  const names = readdirSync(new URL('../../cli/commands/', import.meta.url))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3));

  it('covers the commands', () => {
    expect(names).toEqual(expect.arrayContaining(['demo', 'run', 'inventory', 'pause', 'maintenance', 'topics']));
  });

  for (const name of names) {
    it(name, async () => {
      const url = new URL(`../../cli/commands/${name}.ts`, import.meta.url).href;
      const { command } = (await import(/* @vite-ignore */ url)) as { command: CliCommand };
      await expect(command.run(['--definitely-not-a-flag'])).rejects.toThrow(
        new RegExp(`^${name}: unknown argument --definitely-not-a-flag`),
      );
    });
  }

  it('detect refuses unknown flags of its sub-commands, and bad numbers', async () => {
    await expect(detect.run(['probe', '--vantage', 'a', '--intervl-ms', '5'])).rejects.toThrow(
      /^detect probe: unknown argument --intervl-ms/,
    );
    await expect(detect.run(['judge', '--quorum', 'two'])).rejects.toThrow(/^detect judge: --quorum needs an integer/);
    await expect(detect.run(['probe'])).rejects.toThrow(/--vantage <name> is required/);
    await expect(detect.run(['judge', '--start-at', 'now'])).rejects.toThrow(/--start-at needs earliest or latest/);
  });

  it('parse their values as before', () => {
    expect(parseDagSvgArgs(['--region', 'eu', '--timeout-ms', '500'])).toEqual({
      region: 'eu',
      topic: 'region.dependencies',
      timeoutMs: 500,
    });
    expect(() => parseDagSvgArgs(['--timeout-ms', 'soon'])).toThrow(/--timeout-ms needs an integer/);
    const demo = demoOptions(['--duration', '30', '--per-app', '--setup-only']);
    expect([demo.demo.durationMs, demo.demo.perApp, demo.demo.keepRunDir, demo.setupOnly]).toEqual([
      30_000,
      true,
      false,
      true,
    ]);
    expect(() => demoOptions(['--acceleration', 'fast'])).toThrow(/--acceleration needs a number/);
    expect(parseRunArgs(['--config', 'f.yaml', '--apps', 'host-health', '--operability-port', '9500'])).toMatchObject({
      config: 'f.yaml',
      apps: 'host-health',
      operabilityPort: 9500,
    });
    expect(parseRunArgs(['-c', 'f.yaml']).apps).toBe('all');
    expect(() => parseRunArgs([])).toThrow(/^run: --config <foreshadow.yaml> is required/);
    expect(() => parseRunArgs(['-c', 'f.yaml', '--operability-port', 'x'])).toThrow(
      /--operability-port needs an integer/,
    );
    expect(() => parseRunArgs(['-c', 'f.yaml', '--operability-port', '70000'])).toThrow(/needs a port number/);
    expect(parseInventoryArgs(['apply', 'inv.yaml', '--dry-run'])).toMatchObject({
      file: 'inv.yaml',
      values: { 'dry-run': true },
    });
    expect(() => parseInventoryArgs(['aply', 'inv.yaml'])).toThrow(/^inventory: unknown sub-command aply/);
    expect(() => parseInventoryArgs(['apply'])).toThrow(/^inventory: apply needs an inventory file/);
    expect(() => parseInventoryArgs(['apply', 'a.yaml', 'b.yaml'])).toThrow(/^inventory: unexpected argument b.yaml/);
  });

  it('the benchmark suite refuses an unknown flag', () => {
    expect(refusal(() => parseOptions(['--shrt'], {})).message).toMatch(/^bench: unknown argument --shrt/);
    expect(parseOptions(['--short', '--only=peers'], {}).mode).toBe('short');
  });
});

describe('entry points exit with 2 and say why', () => {
  const run = promisify(execFile);
  const entry = async (script: string, args: string[]): Promise<{ code: number; stderr: string }> => {
    try {
      await run(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, timeout: 60_000 });
      return { code: 0, stderr: '' };
    } catch (err: unknown) {
      const e = err as { code?: number; stderr?: string };
      return { code: e.code ?? -1, stderr: e.stderr ?? '' };
    }
  };

  it('the CLI dispatcher and every benchmark script', { timeout: 120_000 }, async () => {
    const cases: [string, string[], RegExp][] = [
      ['cli/foreshadow.ts', ['schemas', '--wirte'], /schemas: unknown argument --wirte/],
      ['cli/foreshadow.ts', ['run', '--cnfig', 'f.yaml'], /run: unknown argument --cnfig/],
      ['bench/scale-out/run.ts', ['--lng'], /bench:takeover: unknown argument --lng/],
      ['bench/startup/run.ts', ['--runs=3'], /bench:startup: unknown argument --runs/],
      ['bench/require-stack.ts', ['--kafka'], /require-stack: unknown argument --kafka/],
      ['bench/suite/run-suite.ts', ['--shrt'], /bench: unknown argument --shrt/],
      ['bench/failover/run.ts', ['--shrt'], /bench:failover: unknown argument --shrt/],
      ['bench/region-failover/model/run-model.ts', ['--shrt'], /bench:region-failover:model: unknown argument --shrt/],
      ['bench/region-failover/run.ts', ['--rnus=3'], /bench:region-failover: unknown argument --rnus/],
      ['bench/suite/pipeline-engine-bench.ts', ['--host=3'], /pipeline-engine-bench: unknown argument --host/],
      ['bench/runtime/windowed-bench.ts', ['--records=5'], /bench:runtime: unknown argument --records/],
      ['bench/runtime/pipeline-bench.ts', ['--samples=5'], /pipeline-bench: unknown argument --samples/],
      ['bench/runtime/state-size.ts', ['--x'], /state-size: unknown argument --x/],
      ['bench/rocksdb-compare.ts', ['--records=5'], /rocksdb-compare: unknown argument --records/],
      ['bench/decision/decision-bench.ts', ['--host=5'], /bench:decision: unknown argument --host/],
    ];
    const results = await Promise.all(cases.map(([script, args]) => entry(script, args)));
    results.forEach((r, i) => {
      const [script, , message] = cases[i]!;
      expect(r.code, script).toBe(2);
      expect(r.stderr, script).toMatch(message);
      expect(r.stderr, script).toMatch(/usage:/);
    });
  });
});
