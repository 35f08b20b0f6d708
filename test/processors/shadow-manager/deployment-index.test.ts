import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../schemas/records/deployment.js';
import { DeploymentIndex } from '../../../streams/processors/shadow-manager/deployment-index.js';
import { consumesCapacity } from '../../../streams/processors/shadow-manager/fleet-state.js';
import { deployment } from './fixtures.js';

/** What the index replaces: a scan of every deployment, in store (key byte) order. */
function scan(rows: Map<string, Deployment>, host: string): { ids: string[]; cpu: number; memoryMb: number } {
  const sorted = [...rows.values()].sort((a, b) =>
    Buffer.compare(Buffer.from(a.resourceId), Buffer.from(b.resourceId)),
  );
  const on = sorted.filter((d) => d.host === host);
  let cpu = 0;
  let memoryMb = 0;
  for (const d of on.filter(consumesCapacity)) {
    cpu += d.cpu;
    memoryMb += d.memoryMb;
  }
  return { ids: on.map((d) => d.resourceId), cpu, memoryMb };
}

async function* rowsOf(rows: Map<string, Deployment>): AsyncIterableIterator<{ key: string; value: Deployment }> {
  for (const [key, value] of rows) yield { key, value };
}

describe('deployments indexed by host', () => {
  it('answers what a scan of the store answers, through moves, outcome changes and removals', async () => {
    const rows = new Map<string, Deployment>();
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const outcomes: Deployment['outcome'][] = ['SUCCEEDED', 'PENDING', 'FAILED', 'SUCCEEDED'];
    const randomRow = (): Deployment =>
      deployment(`svc-${rand(60)}`, `h${rand(8)}`, 'HIGH', {
        cpu: 0.1 * (1 + rand(30)),
        memoryMb: 256 * (1 + rand(8)),
        outcome: outcomes[rand(outcomes.length)]!,
      });
    for (let i = 0; i < 40; i++) {
      const d = randomRow();
      rows.set(d.resourceId, d);
    }
    const index = await DeploymentIndex.build(rowsOf(rows), consumesCapacity);
    for (let step = 0; step < 2_000; step++) {
      if (rand(4) === 0) {
        const id = `svc-${rand(60)}`;
        rows.delete(id);
        index.remove(id);
      } else {
        const d = randomRow();
        rows.set(d.resourceId, d);
        index.set(d);
      }
      const host = `h${rand(8)}`;
      const expected = scan(rows, host);
      expect(index.resourcesOn(host)).toEqual(expected.ids);
      // Bit-for-bit: summed in the same order as the scan did.
      expect(index.usedOn(host)).toEqual({ cpu: expected.cpu, memoryMb: expected.memoryMb });
    }
    expect(index.size).toBe(rows.size);
  });

  it('forgets a host once its last deployment moved away', async () => {
    const index = await DeploymentIndex.build(rowsOf(new Map()), consumesCapacity);
    index.set(deployment('cache-1', 'h1', 'CRITICAL'));
    index.set(deployment('cache-1', 'h2', 'CRITICAL'));
    expect(index.resourcesOn('h1')).toEqual([]);
    expect(index.usedOn('h1')).toEqual({ cpu: 0, memoryMb: 0 });
    expect(index.resourcesOn('h2')).toEqual(['cache-1']);
    index.remove('cache-1');
    index.remove('cache-1');
    expect(index.size).toBe(0);
  });
});
