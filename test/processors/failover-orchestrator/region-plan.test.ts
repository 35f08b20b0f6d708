import { describe, expect, it } from 'vitest';
import { planLevels, startRegionFailover } from '../../../streams/processors/failover-orchestrator/region-failover.js';
import { blueprint, T0 } from '../shadow-manager/fixtures.js';

describe('region plan', () => {
  it('groups services into DAG levels and rejects a dependency on a later level', () => {
    const bp = blueprint('eu-1', [
      { name: 'api', level: 1, dependsOn: ['db'] },
      { name: 'db', level: 0 },
    ]);
    expect(planLevels(bp).map((l) => [l.level, l.services.map((s) => s.service)])).toEqual([
      [0, ['db']],
      [1, ['api']],
    ]);
    const bad = blueprint('eu-1', [
      { name: 'api', level: 0, dependsOn: ['db'] },
      { name: 'db', level: 1 },
    ]);
    expect(() => planLevels(bad)).toThrow(/later level/);
  });

  it('derives a stable failover id and command ids from the epoch', () => {
    const bp = blueprint('eu-1', [{ name: 'db', level: 0 }]);
    const a = startRegionFailover({ blueprint: bp, epoch: 3, dryRun: false, trigger: 't', now: T0 });
    const b = startRegionFailover({ blueprint: bp, epoch: 3, dryRun: false, trigger: 't', now: T0 + 5 });
    expect(a.commands.map((c) => c.commandId)).toEqual([
      'rf:eu-1:e3:launch_level:provision:a1',
      'rf:eu-1:e3:launch_level:l0:db:a1',
    ]);
    expect(b.commands.map((c) => c.commandId)).toEqual(a.commands.map((c) => c.commandId));
  });
});
