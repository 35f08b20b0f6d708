/**
 * Memory each task of the host-baseline and failure-risk apps gives its host-state store for
 * committed states kept between records. A host seen again while its state is cached skips the
 * RocksDB read (50-120 µs of CPU per 5-40 KB value on the development machine) and, if kept
 * decoded, the decoding too. Encoded states are small (a few KB for a young host, 30-70 KB
 * after a week), decoded ones larger (the seasonal profiles are dense arrays), hence two budgets.
 * Both apps at 6 tasks each: at most 12 x 32 MiB = 384 MiB.
 */
export interface StateCacheBudget {
  /** Committed states kept as objects (no decoding on the next sample of the host). */
  decodedMaxBytes?: number;
  /** Committed states kept as bytes (no RocksDB read, only decoding). */
  encodedMaxBytes?: number;
}

export const DEFAULT_STATE_CACHE: Required<StateCacheBudget> = {
  decodedMaxBytes: 12 * 1024 * 1024,
  encodedMaxBytes: 20 * 1024 * 1024,
};
