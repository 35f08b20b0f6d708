/**
 * Memory each instance of the host-baseline and failure-risk apps gives its host-state store for
 * committed states kept between records (split evenly across the instance's tasks). A host seen
 * again while its state is cached skips the RocksDB read (50-120 µs of CPU per 5-40 KB value on
 * the development machine) and, if kept decoded, the decoding too. A decoded state takes about
 * twice its encoded size (numbers in objects are boxed): for a host with 8 metrics 3 KB encoded /
 * 11 KB decoded on its first samples, 70 KB / 140 KB (failure risk) and 54 KB / 67 KB (baseline)
 * after a week, hence two budgets. Both apps in one process: at most 2 x 80 MiB = 160 MiB, whatever
 * the partition count.
 */
export interface StateCacheBudget {
  /** Committed states kept as objects (no decoding on the next sample of the host). */
  decodedMaxBytes?: number;
  /** Committed states kept as bytes (no RocksDB read, only decoding). */
  encodedMaxBytes?: number;
}

export const DEFAULT_STATE_CACHE: Required<StateCacheBudget> = {
  decodedMaxBytes: 48 * 1024 * 1024,
  encodedMaxBytes: 32 * 1024 * 1024,
};

/**
 * Early-commit bound of the host-state topologies (`Topology.limitUncommittedWrites`): their
 * uncommitted states (up to ~140 KB decoded each) are held as objects until the commit, and 1,000
 * per task keeps a 100k-host process under 1 GB; the runner's default (10,000) suits small values.
 */
export const HOST_STATE_UNCOMMITTED_WRITES = 1_000;
