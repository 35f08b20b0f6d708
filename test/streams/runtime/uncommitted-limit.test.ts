import { describe, expect, it } from 'vitest';
import { buildFailureRiskTopology } from '../../../streams/processors/failure-risk/topology.js';
import { buildHostBaselineTopology } from '../../../streams/processors/host-baseline/topology.js';
import { Topology } from '../../../streams/runtime/topology.js';

describe('early-commit bound asked for by a topology', () => {
  it('is unset by default (the runner default applies) and 1,000 for the host-state topologies', () => {
    expect(new Topology('plain').maxUncommittedWrites).toBeUndefined();
    expect(buildHostBaselineTopology().maxUncommittedWrites).toBe(1_000);
    expect(buildFailureRiskTopology().maxUncommittedWrites).toBe(1_000);
    expect(new Topology('t').limitUncommittedWrites(5).maxUncommittedWrites).toBe(5);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new Topology('t').limitUncommittedWrites(0)).toThrow(/positive integer/);
    expect(() => new Topology('t').limitUncommittedWrites(1.5)).toThrow(/positive integer/);
  });
});
