import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { avscPath, catalogueRecords, SCHEMA_DIR, staleAvscFiles, writeAvscFiles } from '../../schemas/avsc-files.js';
import { avroType, recordFromJson, structuralProblems } from '../../schemas/record.js';
import type { CapacityFingerprint } from '../../schemas/records/capacity-fingerprint.js';
import type { Deployment } from '../../schemas/records/deployment.js';
import { FAILOVER_COMMAND_RECORD, type FailoverCommand } from '../../schemas/records/failover-command.js';
import type { HostBaseline } from '../../schemas/records/host-baseline.js';
import { HOST_RISK_RECORD, type HostRisk, RISK_LEVELS, type RiskLevel } from '../../schemas/records/host-risk.js';
import { SHADOW_COMMAND_RECORD } from '../../schemas/records/shadow-command.js';
import { TOPICS } from '../../streams/catalogue.js';

describe('record modules', () => {
  it('every committed .avsc is exactly what its declaration generates (run `foreshadow schemas --write`)', () => {
    expect(staleAvscFiles().map((r) => `schemas/${r.file}.avsc`)).toEqual([]);
  });

  it('every .avsc in schemas/ belongs to a record of the catalogue, and every catalogue record has one', () => {
    const files = readdirSync(SCHEMA_DIR)
      .filter((f) => f.endsWith('.avsc'))
      .sort();
    expect(files).toEqual(
      catalogueRecords()
        .map((r) => `${r.file}.avsc`)
        .sort(),
    );
    // 19 records plus the failure detector's resource probes and the alert evidence.
    expect(catalogueRecords().length).toBe(21);
  });

  it('writes missing or changed .avsc files and leaves current ones alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'avsc-'));
    try {
      const risk = avscPath(HOST_RISK_RECORD, dir);
      writeFileSync(risk, '{"stale": true}\n');
      const written = writeAvscFiles(dir);
      expect(written).toHaveLength(catalogueRecords().length);
      expect(readFileSync(risk, 'utf8')).toBe(HOST_RISK_RECORD.text);
      expect(staleAvscFiles(dir)).toEqual([]);
      expect(writeAvscFiles(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each declaration is a valid Avro schema with a namespaced name, and random values of it are valid', () => {
    for (const r of catalogueRecords()) {
      expect(r.fullName, r.file).toBe(`dev.foreshadow.${r.schema.name}`);
      const type = avroType(r);
      expect(type.name, r.file).toBe(r.fullName);
      expect(structuralProblems(r, type.random()), r.file).toEqual([]);
      // The text registered and written to disk is the declaration, nothing more or less.
      expect(avro.Type.forSchema(JSON.parse(r.text)).equals(type), r.file).toBe(true);
    }
  });

  it('the catalogue names each record by its topic, and topic names are unique', () => {
    const names = TOPICS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const t of TOPICS) if (t.value) expect(t.value.schema.doc ?? '', t.name).toContain(`topic ${t.name}`);
  });
});

describe('structural check from the schema', () => {
  const risk: HostRisk = {
    host: 'h1',
    region: 'r1',
    zone: '',
    timestamp: 1,
    horizonMs: 3_600_000,
    pFail: 0.1,
    level: 'WATCH',
    trend: 0,
    rising: false,
    deviating: false,
    deviationScore: 0,
    timeToFailureMs: null,
    drivers: [{ feature: 'cpu', value: 1, contribution: 0.5 }],
    modelVersion: 'm1',
  };

  it('accepts a record that encodes, and names every path that does not', () => {
    expect(structuralProblems(HOST_RISK_RECORD, risk)).toEqual([]);
    const bad = { ...risk, level: 'PANIC', drivers: [{ feature: 'cpu', value: 'high', contribution: 0.5 }] };
    expect(structuralProblems(HOST_RISK_RECORD, bad)).toEqual([
      'level is not a valid enum ("PANIC")',
      'drivers.0.value is not a valid double ("high")',
    ]);
    expect(structuralProblems(HOST_RISK_RECORD, { ...risk, host: undefined })).toEqual([
      'host is not a valid string (missing)',
    ]);
  });

  it('reads loose JSON into the decoded shape: defaults, long strings, undeclared fields dropped', () => {
    const cmd = recordFromJson(SHADOW_COMMAND_RECORD, {
      commandId: 'c1',
      type: 'CREATE',
      resourceId: 'db-1',
      kind: 'redis',
      epoch: '7',
      primaryHost: 'h1',
      region: 'r1',
      issuedAt: 1_000,
      extra: 'dropped',
    });
    expect(cmd).toEqual({
      commandId: 'c1',
      type: 'CREATE',
      resourceId: 'db-1',
      kind: 'redis',
      epoch: 7,
      primaryHost: 'h1',
      primaryAddress: '',
      targetHost: '',
      targetAddress: '',
      region: 'r1',
      zone: '',
      tier: 'MEDIUM',
      priority: 0,
      config: {},
      reason: '',
      issuedAt: 1_000,
      attempt: 1,
      advisory: false,
    });
    const launch = recordFromJson(FAILOVER_COMMAND_RECORD, {
      commandId: 'f1',
      failoverId: 'fo',
      type: 'LAUNCH_LEVEL',
      primaryRegion: 'eu',
      shadowRegion: 'eu-shadow',
      epoch: 1,
      blueprintVersion: 2,
      services: [{ service: 'db', instances: 2, cpuPerInstance: 1, memoryMbPerInstance: 512 }],
      issuedAt: 5,
    });
    expect(launch.services).toEqual([
      { service: 'db', instances: 2, cpuPerInstance: 1, memoryMbPerInstance: 512, configRef: '' },
    ]);
    expect([launch.level, launch.dryRun, launch.provisionOnly]).toEqual([-1, false, false]);
    expect(() => recordFromJson(SHADOW_COMMAND_RECORD, { commandId: 'c1', type: 'CREATE' })).toThrow(
      /invalid ShadowCommand: resourceId is not a valid string \(missing\)/,
    );
    expect(() => recordFromJson(SHADOW_COMMAND_RECORD, 'not a record')).toThrow(/invalid ShadowCommand/);
  });
});

describe('types derived from the declarations', () => {
  it('map Avro types to what the decoder hands back', () => {
    expectTypeOf<HostRisk['timeToFailureMs']>().toEqualTypeOf<number | null>();
    expectTypeOf<HostRisk['level']>().toEqualTypeOf<RiskLevel>();
    expectTypeOf<RiskLevel>().toEqualTypeOf<'OK' | 'WATCH' | 'WARNING' | 'CRITICAL'>();
    expectTypeOf<HostRisk['drivers']>().toEqualTypeOf<{ feature: string; value: number; contribution: number }[]>();
    expectTypeOf<HostBaseline['metrics'][string]['seasonalMedian']>().toEqualTypeOf<number | null>();
    expectTypeOf<Deployment['config']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<Deployment['deployedAt']>().toEqualTypeOf<number>();
    expectTypeOf<CapacityFingerprint['encoded']>().toEqualTypeOf<Buffer>();
    expectTypeOf<FailoverCommand['services'][number]['configRef']>().toEqualTypeOf<string>();
    expect(RISK_LEVELS).toEqual(['OK', 'WATCH', 'WARNING', 'CRITICAL']);
  });
});
