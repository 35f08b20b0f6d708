/**
 * The co-partitioning rule of this runtime, as a pure check (streams-app.ts runs it on the broker's
 * partition counts at start-up; tests run it on the catalogue's). A topology is one sub-topology:
 * task N owns partition N of every source topic and of every store changelog, so every external
 * source of a topology needs the same partition count — stricter than Kafka Streams, which asks it
 * only of topics joined with each other (see streams/catalogue.ts for what that means for the
 * catalogue). Internal topics (repartition, changelog) are created with that count.
 */
import { ForeshadowError } from './errors.js';
import type { Topology } from './topology.js';

/** Source topics the topology does not create itself: they must exist, co-partitioned. */
export function externalSourceTopics(t: Topology): string[] {
  const internal = new Set(t.internalTopics().map((x) => x.name));
  return t.sourceTopics().filter((x) => !internal.has(x));
}

/**
 * The partition count all `sources` share (`fallback` when there are none); throws CONFIG_INVALID
 * naming every count when they differ.
 */
export function coPartitionedCount(
  sources: ReadonlyArray<readonly [topic: string, partitions: number]>,
  fallback = 1,
): number {
  const counts = new Set(sources.map(([, n]) => n));
  if (counts.size > 1) {
    throw new ForeshadowError('CONFIG_INVALID', 'source topics of one topology must have equal partition counts', {
      context: { counts: sources.map(([topic, n]) => [topic, n]) },
    });
  }
  return sources[0]?.[1] ?? fallback;
}
