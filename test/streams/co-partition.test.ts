/**
 * Every app's topology, built as the pipeline runs it (catalogue topic names), passes the runtime's
 * co-partition check against the catalogue's partition counts: no app refuses the catalogue's own
 * topics, and no workaround (copies into wider topics) is needed.
 */
import { describe, expect, it } from 'vitest';
import { TOPICS, topicSpec } from '../../streams/catalogue.js';
import { capacityTopology } from '../../streams/processors/capacity-fingerprint/topology.js';
import { dependencyMapTopology } from '../../streams/processors/dependency-map/topology.js';
import { buildFailoverOrchestratorTopology } from '../../streams/processors/failover-orchestrator/topology.js';
import { buildFailureDetectorTopology } from '../../streams/processors/failure-detector/topology.js';
import { buildFailureRiskTopology } from '../../streams/processors/failure-risk/topology.js';
import { buildHostBaselineTopology } from '../../streams/processors/host-baseline/topology.js';
import { buildMetricIngestTopology } from '../../streams/processors/metric-ingest/topology.js';
import { regionHealthTopology } from '../../streams/processors/region-health/topology.js';
import {
  buildShadowManagerTopology,
  buildShadowRouterTopologies,
  fleetTopic,
} from '../../streams/processors/shadow-manager/topology.js';
import { shadowRegionTopology } from '../../streams/processors/shadow-region/topology.js';
import { coPartitionedCount, externalSourceTopics } from '../../streams/runtime/co-partition.js';
import type { Topology } from '../../streams/runtime/topology.js';

const apps: Topology[] = [
  buildMetricIngestTopology(),
  buildHostBaselineTopology(),
  buildFailureRiskTopology(),
  capacityTopology(),
  dependencyMapTopology(),
  shadowRegionTopology(),
  regionHealthTopology(),
  ...buildShadowRouterTopologies(),
  buildShadowManagerTopology(),
  buildFailoverOrchestratorTopology(),
  buildFailureDetectorTopology(),
];

/** The shadow manager creates its fleet topic itself, with one partition (not a catalogue topic). */
const partitionsOf = (topic: string): number => (topic === fleetTopic() ? 1 : topicSpec(topic).partitions);

describe('co-partitioning of the catalogue', () => {
  it.each(apps.map((t) => [t.applicationId, t] as const))('%s accepts the catalogue partition counts', (_, t) => {
    const sources = externalSourceTopics(t).map((topic) => [topic, partitionsOf(topic)] as const);
    expect(sources.length).toBeGreaterThan(0);
    expect(() => coPartitionedCount(sources)).not.toThrow();
  });

  it('the joined host-keyed topics are co-partitioned with the samples', () => {
    const wide = topicSpec('metrics.samples').partitions;
    for (const name of ['health.risk', 'host.failures', 'deployments', 'region.capacity', 'region.dependencies'])
      expect(topicSpec(name).partitions, name).toBe(wide);
  });

  it('the runtime check refuses sources of different counts, naming them', () => {
    expect(() =>
      coPartitionedCount([
        ['metrics.samples', 6],
        ['host.failures', 3],
      ]),
    ).toThrow(/equal partition counts/);
    expect(coPartitionedCount([], 4)).toBe(4);
  });

  it('covers every catalogue topic some app reads', () => {
    const read = new Set(apps.flatMap((t) => externalSourceTopics(t)));
    // Read only outside the stream apps: by actuators, the API, or nobody yet (outputs, audit).
    const notRead = TOPICS.map((t) => t.name).filter((n) => !read.has(n));
    expect(notRead.sort()).toEqual([
      'actuation.ledger',
      'alerts',
      'audit.api',
      'control.state',
      'failover.commands',
      'failover.events',
      'health.baselines',
      'region.failovers',
      'shadow.commands',
      'shadow.state',
    ]);
  });
});
