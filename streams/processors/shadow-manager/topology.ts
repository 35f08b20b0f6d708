/**
 * Wiring of the shadow manager as three small apps (see the processor's module comment for why the
 * decisions run on one partition):
 *
 *   routers   health.risk (6 partitions)             ─┐  wrap each record in a FleetInput envelope,
 *             hosts, deployments, host.failures,      ├─ write it to partition 0 of the fleet topic
 *             actuation.results, operator.requests   ─┘  (one router per partition count, because
 *                                                        a topology's sources must be co-partitioned)
 *   manager   <appId>-fleet (1 partition) → ShadowManagerProcessor → shadow.commands, shadow.state,
 *                                                        failover.events, host.failures, control.state
 *
 * The fleet topic is an ordinary one-partition topic made by `ensureFleetTopic` (it is not in the
 * catalogue because only this module reads it). Value serdes are Avro through the registry by
 * default; tests pass JSON serdes so they need no registry.
 */
import type { Admin } from 'kafkajs';
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { Host } from '../../../schemas/records/host.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { HostRisk } from '../../../schemas/records/host-risk.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import {
  ACTUATION_RESULTS_TOPIC,
  CONTROL_STATE_TOPIC,
  DEPLOYMENTS_TOPIC,
  FAILOVER_EVENTS_TOPIC,
  FAILURES_TOPIC,
  HOSTS_TOPIC,
  OPERATOR_REQUESTS_TOPIC,
  RISK_TOPIC,
  SHADOW_COMMANDS_TOPIC,
  SHADOW_STATE_TOPIC,
  topicSpec,
} from '../../catalogue.js';
import { failoverEventDecision, shadowCommandDecision, shadowStateDecision } from '../../controls/decision-labels.js';
import { ForeshadowError } from '../../runtime/errors.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import type { StreamRecord } from '../../runtime/record.js';
import { jsonSerde, stringSerde } from '../../runtime/serdes.js';
import { createTopicsAndWait } from '../../runtime/topic-admin.js';
import { keyValueStoreSpec, type SinkSpec, Topology } from '../../runtime/topology.js';
import { avroValueSerdes, type ValueSerdeFactory } from '../../topic-serdes.js';
import { validatedSerde } from '../../validation/topic-validators.js';
import {
  CONTROL_STATE_CHILD,
  FAILOVER_EVENTS_CHILD,
  HOST_FAILURES_CHILD,
  SHADOW_COMMANDS_CHILD,
  SHADOW_STATE_CHILD,
} from './fleet-state.js';
import { SHADOW_MANAGER_APPLICATION_ID, SHADOW_MANAGER_STORES } from './names.js';
import type { ShadowManagerOptions } from './options.js';
import { ShadowManagerProcessor } from './processor.js';
import type { FleetInput } from './types.js';

/** The one key of the fleet topic: every envelope lands on its one partition, in order. */
export const FLEET_KEY = 'fleet';

export interface ShadowTopics {
  risk: string;
  hosts: string;
  deployments: string;
  failures: string;
  results: string;
  requests: string;
  commands: string;
  state: string;
  events: string;
  controls: string;
}

export const DEFAULT_SHADOW_TOPICS: ShadowTopics = {
  risk: RISK_TOPIC,
  hosts: HOSTS_TOPIC,
  deployments: DEPLOYMENTS_TOPIC,
  failures: FAILURES_TOPIC,
  results: ACTUATION_RESULTS_TOPIC,
  requests: OPERATOR_REQUESTS_TOPIC,
  commands: SHADOW_COMMANDS_TOPIC,
  state: SHADOW_STATE_TOPIC,
  events: FAILOVER_EVENTS_TOPIC,
  controls: CONTROL_STATE_TOPIC,
};

export interface ShadowManagerTopologyOptions {
  applicationId?: string;
  topics?: Partial<ShadowTopics>;
  serdes?: ValueSerdeFactory;
  manager?: Partial<ShadowManagerOptions>;
  /** Partition count per input topic, to group routers; default the catalogue's. */
  partitionsOf?: (input: FleetInputTopic) => number;
}

export function fleetTopic(applicationId: string = SHADOW_MANAGER_APPLICATION_ID): string {
  return `${applicationId}-fleet`;
}

export type FleetInputTopic = Exclude<keyof ShadowTopics, 'commands' | 'state' | 'events' | 'controls'>;

/** Requests only the failover orchestrator acts on. */
const REGION_REQUESTS: readonly OperatorRequest['type'][] = ['REGION_FAILOVER', 'APPROVE_REGION_FAILOVER'];

/** How each input becomes a fleet envelope (null: not for the shadow manager). */
export const FLEET_WRAPPERS: { [K in FleetInputTopic]: (key: string, value: unknown) => FleetInput | null } = {
  risk: (_k, v) => (v ? { type: 'RISK', risk: v as HostRisk } : null),
  hosts: (k, v) => ({ type: 'HOST', hostId: (v as Host | null)?.host ?? k, host: (v as Host | null) ?? null }),
  deployments: (k, v) => ({
    type: 'DEPLOYMENT',
    resourceId: (v as Deployment | null)?.resourceId ?? k,
    deployment: (v as Deployment | null) ?? null,
  }),
  failures: (_k, v) => (v ? { type: 'FAILURE', failure: v as HostFailure } : null),
  results: (_k, v) => (v ? { type: 'RESULT', result: v as ActuationResult } : null),
  requests: (_k, v) =>
    v && !REGION_REQUESTS.includes((v as OperatorRequest).type)
      ? { type: 'REQUEST', request: v as OperatorRequest }
      : null,
};

const CATALOGUE_NAME: { [K in FleetInputTopic]: string } = {
  risk: RISK_TOPIC,
  hosts: HOSTS_TOPIC,
  deployments: DEPLOYMENTS_TOPIC,
  failures: FAILURES_TOPIC,
  results: ACTUATION_RESULTS_TOPIC,
  requests: OPERATOR_REQUESTS_TOPIC,
};

/**
 * Wraps each record of one input topic into the fleet envelope, keyed by the one fleet key. A null
 * value is a tombstone on a table (hosts, deployments) but bad input on an event topic: that one is
 * dead-lettered with the reason rather than dropped unseen.
 */
class EnvelopeProcessor implements Processor<string, unknown, string, FleetInput> {
  private ctx!: ProcessorContext<string, FleetInput>;
  constructor(
    private readonly wrap: (key: string, value: unknown) => FleetInput | null,
    private readonly table: boolean,
  ) {}
  init(ctx: ProcessorContext<string, FleetInput>): void {
    this.ctx = ctx;
  }
  process(record: StreamRecord<string, unknown>): void {
    if (!this.table && (record.value === null || record.value === undefined)) {
      throw new ForeshadowError('VALIDATION_FAILED', 'null value on an event topic (only tables carry tombstones)');
    }
    const env = this.wrap(record.key, record.value);
    if (env) this.ctx.forward(record.withKey(FLEET_KEY).withValue(env));
  }
}

/**
 * One router topology per group of equally partitioned inputs; each writes every envelope to
 * partition 0 of the fleet topic.
 */
export function buildShadowRouterTopologies(options: ShadowManagerTopologyOptions = {}): Topology[] {
  const appId = options.applicationId ?? SHADOW_MANAGER_APPLICATION_ID;
  const topics = { ...DEFAULT_SHADOW_TOPICS, ...options.topics };
  const serdes = options.serdes ?? avroValueSerdes;
  const partitionsOf =
    options.partitionsOf ?? ((input: FleetInputTopic) => topicSpec(CATALOGUE_NAME[input]).partitions);
  const groups = new Map<number, FleetInputTopic[]>();
  for (const input of Object.keys(FLEET_WRAPPERS) as FleetInputTopic[]) {
    const n = partitionsOf(input);
    groups.set(n, [...(groups.get(n) ?? []), input]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partitions, inputs]) => {
      const t = new Topology(`${appId}-router-p${partitions}`);
      for (const input of inputs) {
        t.addSource<string, unknown>({
          name: `${input}-in`,
          topics: [topics[input]],
          keySerde: stringSerde,
          valueSerde: validatedSerde(CATALOGUE_NAME[input], serdes<unknown>(CATALOGUE_NAME[input])),
        });
        const table = topicSpec(CATALOGUE_NAME[input]).cleanup.includes('compact');
        t.addProcessor(`${input}-wrap`, () => new EnvelopeProcessor(FLEET_WRAPPERS[input], table), [`${input}-in`]);
      }
      t.addSink<string, FleetInput>(
        {
          name: 'fleet-out',
          topic: fleetTopic(appId),
          keySerde: stringSerde,
          valueSerde: jsonSerde<FleetInput>(),
          partitioner: () => 0,
        },
        inputs.map((i) => `${i}-wrap`),
      );
      return t;
    });
}

/** The decision topology: the fleet topic into the shadow manager, out to its five topics. */
export function buildShadowManagerTopology(options: ShadowManagerTopologyOptions = {}): Topology {
  const appId = options.applicationId ?? SHADOW_MANAGER_APPLICATION_ID;
  const topics = { ...DEFAULT_SHADOW_TOPICS, ...options.topics };
  const serdes = options.serdes ?? avroValueSerdes;
  const t = new Topology(appId);
  t.addSource<string, FleetInput>({
    name: 'fleet-in',
    topics: [fleetTopic(appId)],
    keySerde: stringSerde,
    valueSerde: jsonSerde<FleetInput>(),
  });
  t.addProcessor('shadow-manager', () => new ShadowManagerProcessor(options.manager), ['fleet-in']);
  for (const store of SHADOW_MANAGER_STORES) {
    t.addStateStore(
      keyValueStoreSpec<string, unknown>(store, { keySerde: stringSerde, valueSerde: jsonSerde<unknown>() }),
      ['shadow-manager'],
    );
  }
  const out = (name: string, topic: string, catalogue: string, decision?: SinkSpec<string, unknown>['decision']) => {
    t.addSink<string, unknown>(
      { name, topic, keySerde: stringSerde, valueSerde: serdes(catalogue), ...(decision ? { decision } : {}) },
      ['shadow-manager'],
    );
  };
  // Decisions are counted in foreshadow_decisions_total (controls/decision-labels.ts).
  out(SHADOW_COMMANDS_CHILD, topics.commands, SHADOW_COMMANDS_TOPIC, shadowCommandDecision);
  out(SHADOW_STATE_CHILD, topics.state, SHADOW_STATE_TOPIC, shadowStateDecision);
  out(FAILOVER_EVENTS_CHILD, topics.events, FAILOVER_EVENTS_TOPIC, failoverEventDecision);
  out(HOST_FAILURES_CHILD, topics.failures, FAILURES_TOPIC);
  out(CONTROL_STATE_CHILD, topics.controls, CONTROL_STATE_TOPIC);
  return t;
}

/** Creates the one-partition fleet topic if missing (7 days of retention: enough to replay decisions). */
export async function ensureFleetTopic(
  admin: Admin,
  name: string,
  replicationFactor = 1,
  timeoutMs = 30_000,
): Promise<void> {
  await createTopicsAndWait(
    admin,
    [
      {
        topic: name,
        numPartitions: 1,
        replicationFactor,
        configEntries: [{ name: 'retention.ms', value: String(7 * 86_400_000) }],
      },
    ],
    timeoutMs,
  );
}
