/**
 * The region-health topology: health.risk and host.failures (keyed by host) → re-key by region →
 * repartition topic → RegionHealthProcessor → region.health. Serdes default to Avro through the
 * registry; tests may pass JSON serdes. The two inputs must be co-partitioned (same key, same
 * partition count: the catalogue makes host.failures as wide as health.risk), so a failure meets
 * the region its host last reported risk from in the same task's store.
 */
import { HOST_FAILURE_RECORD } from '../../../schemas/records/host-failure.js';
import { HOST_RISK_RECORD } from '../../../schemas/records/host-risk.js';
import { REGION_HEALTH_RECORD, type RegionHealth } from '../../../schemas/records/region-health.js';
import { FAILURES_TOPIC, REGION_HEALTH_TOPIC, RISK_TOPIC } from '../../catalogue.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import type { StreamRecord } from '../../runtime/record.js';
import { jsonSerde, type Serde, stringSerde } from '../../runtime/serdes.js';
import { keyValueStoreSpec, Topology } from '../../runtime/topology.js';
import type { KeyValueStore } from '../../state/store.js';
import { recordSerde } from '../../topic-serdes.js';
import { validatedSerde } from '../../validation/topic-validators.js';
import type { HostFailureInput, HostHealth, HostRiskInput } from './assess.js';
import {
  HEALTH_BY_REGION_SUFFIX,
  HOST_REGIONS_STORE,
  HOSTS_STORE,
  LAST_STORE,
  REGION_HEALTH_APPLICATION_ID,
} from './names.js';
import type { RegionHealthOptionsInput } from './options.js';
import { type HealthInput, isRisk, RegionHealthProcessor } from './processor.js';

export interface RegionHealthTopologyOptions extends RegionHealthOptionsInput {
  applicationId?: string;
  topics?: { risk?: string; failures?: string; health?: string };
  serdes?: { risk?: Serde<HostRiskInput>; failure?: Serde<HostFailureInput>; health?: Serde<RegionHealth> };
}

/**
 * Re-keys by region. A failure without a region (its schema default is "") takes the region the
 * host last reported risk from; both topics are keyed by host, so they share partitions and this
 * lookup store sees both.
 */
export class HostRegionKeyer implements Processor<string, HealthInput, string, HealthInput> {
  private ctx!: ProcessorContext<string, HealthInput>;
  private regions!: KeyValueStore<string, string>;

  init(context: ProcessorContext<string, HealthInput>): void {
    this.ctx = context;
    this.regions = context.getKeyValueStore(HOST_REGIONS_STORE);
  }

  async process(record: StreamRecord<string, HealthInput>): Promise<void> {
    const v = record.value;
    if (!v?.host) return;
    // A failed resource (its own failover) is not a failed host: it must not count towards a region failover.
    if (!isRisk(v) && v.resourceId) return;
    let region = v.region;
    if (region) {
      if ((await this.regions.get(v.host)) !== region) this.regions.put(v.host, region);
    } else {
      region = (await this.regions.get(v.host)) ?? '';
    }
    if (!region) return;
    this.ctx.forward(record.withKey(region).withValue({ ...v, region }));
  }
}

export function regionHealthTopology(options: RegionHealthTopologyOptions = {}): Topology {
  const { applicationId = REGION_HEALTH_APPLICATION_ID, topics = {}, serdes = {}, ...rest } = options;
  const repartition = `${applicationId}-${HEALTH_BY_REGION_SUFFIX}`;
  const t = new Topology(applicationId);
  const ts = (r: { value: { timestamp: number } }): number => Number(r.value.timestamp);
  t.addSource({
    name: 'risk',
    topics: [topics.risk ?? RISK_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(RISK_TOPIC, serdes.risk ?? recordSerde(HOST_RISK_RECORD)),
    timestampExtractor: ts,
  });
  t.addSource({
    name: 'failures',
    topics: [topics.failures ?? FAILURES_TOPIC],
    keySerde: stringSerde,
    valueSerde: validatedSerde(FAILURES_TOPIC, serdes.failure ?? recordSerde(HOST_FAILURE_RECORD)),
    timestampExtractor: ts,
  });
  t.addProcessor('by-region', () => new HostRegionKeyer(), ['risk', 'failures']);
  t.addStateStore(
    keyValueStoreSpec<string, string>(HOST_REGIONS_STORE, { keySerde: stringSerde, valueSerde: stringSerde }),
    ['by-region'],
  );
  t.addInternalTopic({ name: repartition, kind: 'repartition' });
  t.addSink(
    { name: 'health-repartition', topic: repartition, keySerde: stringSerde, valueSerde: jsonSerde<HealthInput>() },
    ['by-region'],
  );
  t.addSource({
    name: 'regional-health',
    topics: [repartition],
    keySerde: stringSerde,
    valueSerde: jsonSerde<HealthInput>(),
    timestampExtractor: ts,
  });
  t.addProcessor('region-health', () => new RegionHealthProcessor(rest), ['regional-health']);
  t.addStateStore(
    keyValueStoreSpec<string, HostHealth>(HOSTS_STORE, { keySerde: stringSerde, valueSerde: jsonSerde() }),
    ['region-health'],
  );
  t.addStateStore(
    keyValueStoreSpec<string, RegionHealth>(LAST_STORE, { keySerde: stringSerde, valueSerde: jsonSerde() }),
    ['region-health'],
  );
  t.addSink(
    {
      name: 'health-out',
      topic: topics.health ?? REGION_HEALTH_TOPIC,
      keySerde: stringSerde,
      valueSerde: serdes.health ?? recordSerde(REGION_HEALTH_RECORD),
    },
    ['region-health'],
  );
  return t;
}
