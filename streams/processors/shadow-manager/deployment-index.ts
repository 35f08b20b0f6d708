/**
 * The deployments store indexed by host, kept in memory beside it. A triggering risk record needs
 * only its host's resources, and placement only each host's used capacity; reading every
 * deployment for either made each decision cost O(resources in the fleet).
 *
 * Built from the store on first use after the processor is initialised and kept current by
 * FleetState's deployment writes. The runtime re-initialises the processor whenever it reopens the
 * task (a rebalance, or a rewind after an aborted transaction), so the index never outlives the
 * store contents it was built from.
 */
import type { Deployment } from '../../../schemas/records/deployment.js';

export interface Usage {
  cpu: number;
  memoryMb: number;
}

interface Entry {
  host: string;
  cpu: number;
  memoryMb: number;
  /** Holds capacity on its host (consumesCapacity at the time it was written). */
  consumes: boolean;
}

/** The order the key-value stores iterate in (bytes of the UTF-8 key), so results match a scan. */
function byKeyBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export class DeploymentIndex {
  private readonly byId = new Map<string, Entry>();
  private readonly byHost = new Map<string, Set<string>>();
  /** Per-host sums, dropped when one of the host's deployments changes. */
  private readonly usageCache = new Map<string, Usage>();
  private readonly sortedCache = new Map<string, string[]>();

  constructor(private readonly consumesCapacity: (d: Deployment) => boolean) {}

  static async build(
    rows: AsyncIterable<{ key: string; value: Deployment }>,
    consumesCapacity: (d: Deployment) => boolean,
  ): Promise<DeploymentIndex> {
    const index = new DeploymentIndex(consumesCapacity);
    for await (const { value } of rows) index.set(value);
    return index;
  }

  get size(): number {
    return this.byId.size;
  }

  set(d: Deployment): void {
    this.remove(d.resourceId);
    this.byId.set(d.resourceId, {
      host: d.host,
      cpu: d.cpu,
      memoryMb: d.memoryMb,
      consumes: this.consumesCapacity(d),
    });
    let ids = this.byHost.get(d.host);
    if (!ids) {
      ids = new Set();
      this.byHost.set(d.host, ids);
    }
    ids.add(d.resourceId);
    this.touch(d.host);
  }

  remove(resourceId: string): void {
    const old = this.byId.get(resourceId);
    if (!old) return;
    this.byId.delete(resourceId);
    const ids = this.byHost.get(old.host);
    ids?.delete(resourceId);
    if (ids?.size === 0) this.byHost.delete(old.host);
    this.touch(old.host);
  }

  /** Resource ids deployed on the host (whatever their outcome), in store order. */
  resourcesOn(host: string): readonly string[] {
    let sorted = this.sortedCache.get(host);
    if (!sorted) {
      sorted = [...(this.byHost.get(host) ?? [])].sort(byKeyBytes);
      this.sortedCache.set(host, sorted);
    }
    return sorted;
  }

  /** CPU and memory held on the host by deployments that consume capacity. */
  usedOn(host: string): Usage {
    const cached = this.usageCache.get(host);
    if (cached) return cached;
    // Summed in store order, as a scan would, so the figures placement compares are the same to the bit.
    const usage = { cpu: 0, memoryMb: 0 };
    for (const id of this.resourcesOn(host)) {
      const e = this.byId.get(id);
      if (e?.consumes) {
        usage.cpu += e.cpu;
        usage.memoryMb += e.memoryMb;
      }
    }
    this.usageCache.set(host, usage);
    return usage;
  }

  private touch(host: string): void {
    this.usageCache.delete(host);
    this.sortedCache.delete(host);
  }
}
