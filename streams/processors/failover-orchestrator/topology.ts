/**
 * Wiring of the failover orchestrator: four region-keyed, co-partitioned inputs wrapped into
 * `RegionInput` envelopes feed one processor; no repartition is needed (see its module comment).
 * Outputs: failover.commands, failover.events, region.failovers.
 */
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import { FAILOVER_COMMAND_TYPES, type FailoverCommandType } from '../../../schemas/records/failover-command.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import type { RegionHealth } from '../../../schemas/records/region-health.js';
import type { ShadowBlueprint } from '../../../schemas/records/shadow-blueprint.js';
import {
  ACTUATION_RESULTS_TOPIC,
  BLUEPRINTS_TOPIC,
  FAILOVER_COMMANDS_TOPIC,
  FAILOVER_EVENTS_TOPIC,
  OPERATOR_REQUESTS_TOPIC,
  REGION_FAILOVERS_TOPIC,
  REGION_HEALTH_TOPIC,
  topicSpec,
} from '../../catalogue.js';
import { failoverCommandDecision, failoverEventDecision } from '../../controls/decision-labels.js';
import { ForeshadowError } from '../../runtime/errors.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import type { StreamRecord } from '../../runtime/record.js';
import { jsonSerde, stringSerde } from '../../runtime/serdes.js';
import { keyValueStoreSpec, Topology } from '../../runtime/topology.js';
import { avroValueSerdes, type ValueSerdeFactory } from '../../topic-serdes.js';
import { validatedSerde } from '../../validation/topic-validators.js';
import {
  BLUEPRINTS_STORE,
  FAILOVER_ORCHESTRATOR_APPLICATION_ID,
  REGION_CONTROLS_STORE,
  REGION_REQUESTS_STORE,
  REGIONS_STORE,
} from './names.js';
import type { FailoverOrchestratorOptions } from './options.js';
import {
  FAILOVER_COMMANDS_CHILD,
  FailoverOrchestratorProcessor,
  REGION_EVENTS_CHILD,
  REGION_STATUS_CHILD,
  type RegionInput,
} from './processor.js';

export interface RegionTopics {
  blueprints: string;
  health: string;
  requests: string;
  results: string;
  commands: string;
  events: string;
  statuses: string;
}

export const DEFAULT_REGION_TOPICS: RegionTopics = {
  blueprints: BLUEPRINTS_TOPIC,
  health: REGION_HEALTH_TOPIC,
  requests: OPERATOR_REQUESTS_TOPIC,
  results: ACTUATION_RESULTS_TOPIC,
  commands: FAILOVER_COMMANDS_TOPIC,
  events: FAILOVER_EVENTS_TOPIC,
  statuses: REGION_FAILOVERS_TOPIC,
};

/**
 * The operator requests the orchestrator acts on: region failovers and their approval, the pause
 * (on every partition), and maintenance windows of regions (a host's window is the shadow
 * manager's business).
 */
export function isRegionRequest(r: OperatorRequest): boolean {
  switch (r.type) {
    case 'REGION_FAILOVER':
    case 'APPROVE_REGION_FAILOVER':
    case 'PAUSE':
    case 'RESUME':
      return true;
    case 'SET_MAINTENANCE':
    case 'CANCEL_MAINTENANCE':
      return r.scope === 'REGION';
    default:
      return false;
  }
}

export interface FailoverOrchestratorTopologyOptions {
  applicationId?: string;
  topics?: Partial<RegionTopics>;
  serdes?: ValueSerdeFactory;
  orchestrator?: Partial<FailoverOrchestratorOptions>;
}

/** A null value is a tombstone on the compacted inputs, bad input (dead-lettered) on the others. */
class RegionEnvelope<V> implements Processor<string, V, string, RegionInput> {
  private ctx!: ProcessorContext<string, RegionInput>;
  constructor(
    private readonly wrap: (key: string, value: V) => RegionInput | null,
    private readonly table: boolean,
  ) {}
  init(ctx: ProcessorContext<string, RegionInput>): void {
    this.ctx = ctx;
  }
  process(record: StreamRecord<string, V>): void {
    if (!this.table && (record.value === null || record.value === undefined)) {
      throw new ForeshadowError('VALIDATION_FAILED', 'null value on an event topic (only tables carry tombstones)');
    }
    const env = this.wrap(record.key, record.value);
    if (env) this.ctx.forward(record.withValue(env));
  }
}

export function buildFailoverOrchestratorTopology(options: FailoverOrchestratorTopologyOptions = {}): Topology {
  const appId = options.applicationId ?? FAILOVER_ORCHESTRATOR_APPLICATION_ID;
  const topics = { ...DEFAULT_REGION_TOPICS, ...options.topics };
  const serdes = options.serdes ?? avroValueSerdes;
  const t = new Topology(appId);
  const input = <V>(
    name: string,
    topic: string,
    catalogue: string,
    wrap: (key: string, value: V) => RegionInput | null,
  ): void => {
    t.addSource<string, V>({
      name: `${name}-in`,
      topics: [topic],
      keySerde: stringSerde,
      valueSerde: validatedSerde(catalogue, serdes<V>(catalogue)),
    });
    const table = topicSpec(catalogue).cleanup.includes('compact');
    t.addProcessor(`${name}-wrap`, () => new RegionEnvelope<V>(wrap, table), [`${name}-in`]);
  };
  input<ShadowBlueprint | null>('blueprints', topics.blueprints, BLUEPRINTS_TOPIC, (k, v) => ({
    type: 'BLUEPRINT',
    region: v?.primaryRegion ?? k,
    blueprint: v,
  }));
  input<RegionHealth>('health', topics.health, REGION_HEALTH_TOPIC, (_k, v) =>
    v ? { type: 'HEALTH', health: v } : null,
  );
  input<OperatorRequest>('requests', topics.requests, OPERATOR_REQUESTS_TOPIC, (_k, v) =>
    v && isRegionRequest(v) ? { type: 'REQUEST', request: v } : null,
  );
  input<ActuationResult>('results', topics.results, ACTUATION_RESULTS_TOPIC, (_k, v) =>
    v && FAILOVER_COMMAND_TYPES.includes(v.commandType as FailoverCommandType) ? { type: 'RESULT', result: v } : null,
  );
  const wraps = ['blueprints-wrap', 'health-wrap', 'requests-wrap', 'results-wrap'];
  t.addProcessor('failover-orchestrator', () => new FailoverOrchestratorProcessor(options.orchestrator), wraps);
  for (const store of [BLUEPRINTS_STORE, REGIONS_STORE, REGION_REQUESTS_STORE, REGION_CONTROLS_STORE]) {
    t.addStateStore(
      keyValueStoreSpec<string, unknown>(store, { keySerde: stringSerde, valueSerde: jsonSerde<unknown>() }),
      ['failover-orchestrator'],
    );
  }
  t.addSink(
    {
      name: FAILOVER_COMMANDS_CHILD,
      topic: topics.commands,
      keySerde: stringSerde,
      valueSerde: serdes(FAILOVER_COMMANDS_TOPIC),
      decision: failoverCommandDecision,
    },
    ['failover-orchestrator'],
  );
  t.addSink(
    {
      name: REGION_EVENTS_CHILD,
      topic: topics.events,
      keySerde: stringSerde,
      valueSerde: serdes(FAILOVER_EVENTS_TOPIC),
      decision: failoverEventDecision,
    },
    ['failover-orchestrator'],
  );
  t.addSink(
    {
      name: REGION_STATUS_CHILD,
      topic: topics.statuses,
      keySerde: stringSerde,
      valueSerde: serdes(REGION_FAILOVERS_TOPIC),
    },
    ['failover-orchestrator'],
  );
  return t;
}
