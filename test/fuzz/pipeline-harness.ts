/**
 * Every consumer of the pipeline's input topics, running in this process on uniquely named copies
 * of the catalogue topics (one partition each, real broker and registry): the eight processor
 * apps (StreamsApp, exactly-once, as their own topologies wire them), the actuator command
 * consumer (simulated provider, Avro codec), and the API's two read-only views (read model and
 * dashboard feed). Outputs go to topics of their own so that no app reads another's output: each
 * input record's fate is then attributable to exactly one consumer.
 *
 * An observer reads every output, internal (repartition, fleet), changelog and dead-letter topic
 * (read_committed) and keeps what identifies an input record there: its `x-fuzz-id` header (the
 * runtime carries input headers to outputs and dead letters), its key in a changelog, the command
 * id of an actuation result, or the source offset of an actuator's dead letter.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs, { type Consumer, type ITopicConfig } from 'kafkajs';
import { type Logger, pino } from 'pino';
import { AlertView, startAlertFeed } from '../../api/alerts.js';
import { type DashboardState, startDashboardFeed } from '../../api/dashboard/dashboard-feed.js';
import { FleetReadModel } from '../../api/read-model.js';
import { startReadModelFeed } from '../../api/read-model-feed.js';
import { registryCodec } from '../../sinks/framework/codec.js';
import { ActuatorConsumer } from '../../sinks/framework/consumer.js';
import { KafkaLedger } from '../../sinks/framework/ledger.js';
import { SimulatedProvider } from '../../sinks/simulated/simulated-provider.js';
import { capacityTopology } from '../../streams/processors/capacity-fingerprint/topology.js';
import { dependencyMapTopology } from '../../streams/processors/dependency-map/topology.js';
import { buildFailoverOrchestratorTopology } from '../../streams/processors/failover-orchestrator/topology.js';
import { buildFailureDetectorTopology } from '../../streams/processors/failure-detector/topology.js';
import { ensureFleetModelTopics } from '../../streams/processors/failure-risk/fleet-model.js';
import { buildFailureRiskTopology } from '../../streams/processors/failure-risk/topology.js';
import { buildHostBaselineTopology } from '../../streams/processors/host-baseline/topology.js';
import { regionHealthTopology } from '../../streams/processors/region-health/topology.js';
import {
  buildShadowManagerTopology,
  buildShadowRouterTopologies,
  ensureFleetTopic,
  fleetTopic,
} from '../../streams/processors/shadow-manager/topology.js';
import { shadowRegionTopology } from '../../streams/processors/shadow-region/topology.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { DLQ_HEADERS } from '../../streams/runtime/dead-letter.js';
import { avroSerde, type Serde } from '../../streams/runtime/serdes.js';
import { StreamsApp } from '../../streams/runtime/streams-app.js';
import { createTopicsAndWait, retryWhileInFlux } from '../../streams/runtime/topic-admin.js';
import type { Topology } from '../../streams/runtime/topology.js';
import { brokers, registryUrl, testKafka, withAdmin } from '../support/kafka.js';
import type { TopicFuzzItem } from './topic-corpus.js';
import { TOPIC_RECORDS } from './topic-records.js';

const { ConfigResourceTypes } = kafkajs;

export const FUZZ_HEADER = 'x-fuzz-id';

export interface DeadLetter {
  dlqTopic: string;
  fuzzId: string | undefined;
  sourceTopic: string;
  sourceOffset: string;
  /** x-dlq-application, or the actuator's x-dlq-processor. */
  by: string;
  reason: string;
  error: string;
}

/** A warning or error an app logged (commit failures, crashes, failed punctuators). */
export interface AppLog {
  app: string;
  level: number;
  msg: string;
  error: string;
}

/** One consumer of input topics, and how an accepted record's effect shows. */
export interface ConsumerSpec {
  name: string;
  via: 'streams' | 'actuator' | 'view';
  /** Catalogue topics it reads. */
  topics: string[];
  /** Dead letters written by it carry one of these in x-dlq-application / x-dlq-processor. */
  dlqBy: string[];
  /** False when a valid record is not this consumer's business (it is routed elsewhere). */
  relevant(item: TopicFuzzItem): boolean;
  effect(item: TopicFuzzItem): boolean | Promise<boolean>;
}

const schemaPath = (name: string): string => fileURLToPath(new URL(`../../schemas/${name}.avsc`, import.meta.url));

export class FuzzPipeline {
  readonly prefix: string;
  readonly appBase: string;
  readonly consumers: ConsumerSpec[] = [];
  readonly logs: AppLog[] = [];
  /** Records a read-only view skipped, by `<topic>@<offset>`, with the logged reason. */
  readonly viewSkips = new Map<string, { view: string; error: string }>();
  /** By `<dlq topic>@<partition>@<offset>`: a re-read after an observer rebalance counts once. */
  private readonly dlq = new Map<string, DeadLetter>();
  private readonly idsOn = new Map<string, Set<string>>();
  private readonly keysOn = new Map<string, Set<string>>();
  private readonly resultIds = new Set<string>();
  private readonly apps: { name: string; app: StreamsApp }[] = [];
  private readonly stops: (() => Promise<void>)[] = [];
  private readonly serdes = new Map<string, Serde<unknown>>();
  private observer: Consumer | undefined;
  private stateDir = '';

  constructor(tag: string) {
    this.prefix = `test.fzt.${tag}`;
    this.appBase = `test-fzt-${tag}`;
  }

  /** The actual topic standing in for a catalogue topic. */
  actual(catalogue: string): string {
    return `${this.prefix}.${catalogue}`;
  }

  private out(app: string, name: string): string {
    return `${this.prefix}.out.${app}.${name}`;
  }

  private appId(name: string): string {
    return `${this.appBase}-${name}`;
  }

  /** Avro with the catalogue topic's schema, registered under `<actual topic>-value`. */
  async encode(catalogue: string, value: unknown): Promise<Buffer> {
    const spec = TOPIC_RECORDS.find((t) => t.topic === catalogue);
    if (!spec || !('avro' in spec.format)) throw new Error(`${catalogue} is not an Avro topic`);
    let serde = this.serdes.get(catalogue);
    if (!serde) {
      serde = avroSerde<unknown>({ schemaPath: schemaPath(spec.format.avro) });
      this.serdes.set(catalogue, serde);
    }
    return serde.serialize(this.actual(catalogue), value);
  }

  async maxMessageBytes(): Promise<number> {
    return withAdmin(async (admin) => {
      const cluster = await retryWhileInFlux(() => admin.describeCluster());
      const res = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: ConfigResourceTypes.BROKER,
            name: String(cluster.brokers[0]!.nodeId),
            configNames: ['message.max.bytes'],
          },
        ],
      });
      return Number(res.resources[0]!.configEntries[0]!.configValue);
    });
  }

  get deadLetters(): DeadLetter[] {
    return [...this.dlq.values()];
  }

  private ids(topic: string): Set<string> {
    return this.idsOn.get(topic) ?? new Set();
  }

  /** True when a changelog of `app` holds a key containing `marker`. */
  private inState(app: string, store: string, marker: string | undefined): boolean {
    if (marker === undefined) return false;
    for (const k of this.keysOn.get(`${this.appId(app)}-${store}-changelog`) ?? []) if (k.includes(marker)) return true;
    return false;
  }

  /** The ledger's skip reports, filed like the views' skipped records. */
  private ledgerLogger(): Logger {
    return pino<never>(
      { level: 'warn' },
      {
        write: (line: string) => {
          const l = JSON.parse(line) as { topic?: string; offset?: string; error?: string };
          if (l.topic !== undefined)
            this.viewSkips.set(`${l.topic}@${l.offset}`, { view: 'ledger', error: l.error ?? '' });
        },
      },
    );
  }

  private logger(app: string): Logger {
    return pino<never>(
      { level: process.env.FUZZ_LOG_LEVEL ?? 'warn' },
      {
        write: (line: string) => {
          const l = JSON.parse(line) as { level: number; msg: string; error?: string };
          this.logs.push({ app, level: l.level, msg: l.msg, error: l.error ?? line.slice(0, 300) });
        },
      },
    );
  }

  async start(): Promise<void> {
    this.stateDir = await mkdtemp(join(tmpdir(), 'fuzz-topics-'));
    const connection = { ...loadConnection(), brokers: brokers(), registryUrl: registryUrl() };
    const T = (c: string): string => this.actual(c);
    const outs = {
      baselines: this.out('hb', 'baselines'),
      risk: this.out('fr', 'risk'),
      capacity: this.out('cap', 'capacity'),
      dags: this.out('dm', 'dependencies'),
      blueprints: this.out('sr', 'blueprints'),
      health: this.out('rh', 'health'),
      smCommands: this.out('sm', 'commands'),
      smState: this.out('sm', 'state'),
      smEvents: this.out('sm', 'events'),
      smFailures: this.out('sm', 'failures'),
      smControls: this.out('sm', 'controls'),
      foCommands: this.out('fo', 'commands'),
      foEvents: this.out('fo', 'events'),
      foStatuses: this.out('fo', 'statuses'),
      results: this.out('act', 'results'),
      fdFailures: this.out('fd', 'failures'),
    };
    const topics: ITopicConfig[] = [
      ...TOPIC_RECORDS.map((t) => ({
        topic: T(t.topic),
        numPartitions: 1,
        configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
      })),
      ...Object.values(outs).map((topic) => ({ topic, numPartitions: 1 })),
      // The actuator does not create dead-letter topics; the catalogue does (`foreshadow topics`).
      { topic: `${T('shadow.commands')}.dlq`, numPartitions: 1 },
      { topic: `${T('failover.commands')}.dlq`, numPartitions: 1 },
    ];
    // Other tests create and delete topics on the shared broker meanwhile (see retryWhileInFlux).
    await withAdmin(async (admin) => {
      await retryWhileInFlux(() => createTopicsAndWait(admin, topics));
      await retryWhileInFlux(() => ensureFleetTopic(admin, fleetTopic(this.appId('sm'))));
      await retryWhileInFlux(() => ensureFleetModelTopics(admin, this.appId('fr')));
    });

    const hb = this.appId('hb');
    const fr = this.appId('fr');
    const cap = this.appId('cap');
    const dm = this.appId('dm');
    const sr = this.appId('sr');
    const rh = this.appId('rh');
    const sm = this.appId('sm');
    const fo = this.appId('fo');
    const fd = this.appId('fd');
    const shadowTopics = {
      risk: T('health.risk'),
      hosts: T('hosts'),
      deployments: T('deployments'),
      failures: T('host.failures'),
      results: T('actuation.results'),
      requests: T('operator.requests'),
      commands: outs.smCommands,
      state: outs.smState,
      events: outs.smEvents,
      controls: outs.smControls,
    };
    const topologies: [string, Topology][] = [
      [
        'hb',
        buildHostBaselineTopology({ applicationId: hb, inputTopic: T('metrics.samples'), outputTopic: outs.baselines }),
      ],
      [
        'fr',
        buildFailureRiskTopology({
          applicationId: fr,
          samplesTopic: T('metrics.samples'),
          failuresTopic: T('host.failures'),
          deploymentsTopic: T('deployments'),
          riskTopic: outs.risk,
        }),
      ],
      ['cap', capacityTopology({ applicationId: cap, inputTopic: T('metrics.samples'), outputTopic: outs.capacity })],
      [
        'dm',
        dependencyMapTopology({
          applicationId: dm,
          outputTopic: outs.dags,
          topics: {
            configs: T('topology.configs'),
            discovery: T('topology.discovery'),
            flows: T('topology.flows'),
            spans: T('topology.spans'),
          },
        }),
      ],
      [
        'sr',
        shadowRegionTopology({
          applicationId: sr,
          topics: {
            fingerprints: T('region.capacity'),
            dags: T('region.dependencies'),
            deployments: T('deployments'),
            blueprints: outs.blueprints,
          },
        }),
      ],
      [
        'rh',
        regionHealthTopology({
          applicationId: rh,
          topics: { risk: T('health.risk'), failures: T('host.failures'), health: outs.health },
        }),
      ],
      ['sm', buildShadowManagerTopology({ applicationId: sm, topics: shadowTopics })],
      ...buildShadowRouterTopologies({ applicationId: sm, topics: shadowTopics, partitionsOf: () => 1 }).map(
        (t): [string, Topology] => ['sm-router', t],
      ),
      [
        'fo',
        buildFailoverOrchestratorTopology({
          applicationId: fo,
          topics: {
            blueprints: T('region.blueprints'),
            health: T('region.health'),
            requests: T('operator.requests'),
            results: T('actuation.results'),
            commands: outs.foCommands,
            events: outs.foEvents,
            statuses: outs.foStatuses,
          },
        }),
      ],
      [
        'fd',
        buildFailureDetectorTopology({
          applicationId: fd,
          topics: { probes: T('resource.probes'), failures: outs.fdFailures },
        }),
      ],
    ];
    for (const [name, topology] of topologies) {
      const app = new StreamsApp(topology, {
        guarantee: 'exactly-once',
        connection,
        stateDir: join(this.stateDir, name),
        logger: this.logger(name),
      });
      this.apps.push({ name, app });
    }

    const kafka = testKafka('fuzz-actuator');
    const ledger = new KafkaLedger(kafka, {
      topic: T('actuation.ledger'),
      partitions: 1,
      logger: this.ledgerLogger(),
    });
    this.ledger = ledger;
    const actuator = new ActuatorConsumer({
      kafka,
      provider: new SimulatedProvider({ name: 'fuzz' }),
      codec: registryCodec(registryUrl()),
      ledger,
      shadowTopic: T('shadow.commands'),
      failoverTopic: T('failover.commands'),
      resultsTopic: outs.results,
      groupId: this.appId('actuator'),
      fromBeginning: true,
      retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 100 },
      logger: this.logger('actuator'),
    });

    const model = new FleetReadModel();
    const alerts = new AlertView(5_000);
    const viewLog = (view: string) => (_msg: string, f: Record<string, unknown>) => {
      this.viewSkips.set(`${String(f.topic)}@${String(f.offset)}`, { view, error: String(f.error) });
    };

    // Everything starts at once: this is also where two apps race to create one dead-letter topic.
    await Promise.all([
      ...this.apps.map(async ({ name, app }) => {
        await app.start().catch((err: unknown) => {
          throw new Error(`${name} did not start: ${String(err)}`, { cause: err });
        });
        this.stops.push(() => app.close());
      }),
      (async () => {
        await retryWhileInFlux(() => ledger.open()).catch((err: unknown) => {
          throw new Error(`ledger did not open: ${String(err)}`, { cause: err });
        });
        await actuator.start().catch((err: unknown) => {
          throw new Error(`actuator did not start: ${String(err)}`, { cause: err });
        });
        this.stops.push(async () => {
          await actuator.stop();
          await ledger.close();
        });
      })(),
      (async () => {
        const feed = await startReadModelFeed(model, connection, {
          format: 'avro',
          log: viewLog('read-model'),
          topics: {
            hosts: T('hosts'),
            deployments: T('deployments'),
            risk: T('health.risk'),
            shadows: T('shadow.state'),
            blueprints: T('region.blueprints'),
            dags: T('region.dependencies'),
            regionHealth: T('region.health'),
            controls: T('control.state'),
            regionFailovers: T('region.failovers'),
            events: T('failover.events'),
          },
        });
        this.stops.push(() => feed.stop());
        await feed.ready;
      })(),
      (async () => {
        const feed = await startAlertFeed(alerts, connection, {
          topic: T('alerts'),
          format: 'avro',
          log: viewLog('alerts'),
        });
        this.stops.push(() => feed.stop());
        await feed.ready;
      })(),
      (async () => {
        const feed = await startDashboardFeed(connection, {
          format: 'avro',
          log: viewLog('dashboard'),
          topics: {
            samples: T('metrics.samples'),
            baselines: T('health.baselines'),
            risk: T('health.risk'),
            capacity: T('region.capacity'),
          },
        });
        this.dashboard = feed.state;
        this.stops.push(() => feed.stop());
        await feed.ready;
      })(),
    ]);
    this.model = model;
    this.alerts = alerts;

    const m = (i: TopicFuzzItem): string | undefined => i.marker;
    const router = this.apps.find((a) => a.name === 'sm-router')!.app.topology.applicationId;
    const fleet = fleetTopic(sm);
    const fleetOk = (i: TopicFuzzItem): boolean => this.ids(fleet).has(i.id);
    this.consumers.push(
      {
        name: 'host-baseline',
        via: 'streams',
        topics: ['metrics.samples'],
        dlqBy: [hb],
        relevant: () => true,
        effect: (i) => this.inState('hb', 'host-baseline-state', m(i)),
      },
      {
        name: 'failure-risk',
        via: 'streams',
        topics: ['metrics.samples', 'host.failures', 'deployments'],
        dlqBy: [fr],
        relevant: () => true,
        effect: (i) =>
          i.topic === 'deployments'
            ? this.inState('fr', 'failure-risk-deployments', m(i))
            : this.inState('fr', 'failure-risk-hosts', m(i)),
      },
      {
        name: 'capacity-fingerprint',
        via: 'streams',
        topics: ['metrics.samples'],
        dlqBy: [cap],
        relevant: () => true,
        effect: (i) => this.ids(`${cap}-samples-by-region-repartition`).has(i.id),
      },
      {
        name: 'dependency-map',
        via: 'streams',
        topics: ['topology.configs', 'topology.discovery', 'topology.flows', 'topology.spans'],
        dlqBy: [dm],
        relevant: () => true,
        effect: (i) => this.ids(`${dm}-dependency-evidence-repartition`).has(i.id),
      },
      {
        name: 'shadow-region',
        via: 'streams',
        topics: ['region.capacity', 'region.dependencies', 'deployments'],
        dlqBy: [sr],
        relevant: () => true,
        effect: (i) =>
          i.topic === 'deployments'
            ? this.ids(`${sr}-deployments-by-region-repartition`).has(i.id)
            : this.inState('sr', 'shadow-region-inputs', m(i)),
      },
      {
        name: 'region-health',
        via: 'streams',
        topics: ['health.risk', 'host.failures'],
        dlqBy: [rh],
        relevant: () => true,
        effect: (i) => this.ids(`${rh}-health-by-region-repartition`).has(i.id),
      },
      {
        name: 'shadow-manager',
        via: 'streams',
        topics: ['health.risk', 'hosts', 'deployments', 'host.failures', 'actuation.results', 'operator.requests'],
        dlqBy: [sm, router],
        // Region failovers are the orchestrator's; the router passes everything else on.
        relevant: (i) => !(i.topic === 'operator.requests' && i.fields?.type === 'REGION_FAILOVER'),
        effect: fleetOk,
      },
      {
        name: 'failover-orchestrator',
        via: 'streams',
        topics: ['region.blueprints', 'region.health', 'operator.requests', 'actuation.results'],
        dlqBy: [fo],
        // Shadow requests are the shadow manager's; results only matter to a running failover,
        // and none runs here, so a valid result has no effect by design.
        relevant: (i) =>
          (i.topic !== 'operator.requests' || i.fields?.type === 'REGION_FAILOVER') && i.topic !== 'actuation.results',
        effect: (i) =>
          i.topic === 'region.blueprints'
            ? this.inState('fo', 'failover-orchestrator-blueprints', m(i))
            : i.topic === 'region.health'
              ? this.inState('fo', 'failover-orchestrator-regions', m(i))
              : this.inState('fo', 'failover-orchestrator-requests', m(i)),
      },
      {
        name: 'failure-detector',
        via: 'streams',
        topics: ['resource.probes'],
        dlqBy: [fd],
        relevant: () => true,
        effect: (i) => this.inState('fd', 'failure-detector-verdicts', m(i)),
      },
      {
        name: 'actuator',
        via: 'actuator',
        topics: ['shadow.commands', 'failover.commands'],
        dlqBy: ['actuator:fuzz'],
        relevant: () => true,
        effect: (i) => i.marker !== undefined && this.resultIds.has(i.marker),
      },
      {
        // Reads its topic back as a table, like the views: a corrupt entry is skipped and logged.
        name: 'actuator-ledger',
        via: 'view',
        topics: ['actuation.ledger'],
        dlqBy: [],
        relevant: () => true,
        effect: (i) => this.inLedger(i),
      },
      {
        name: 'api-read-model',
        via: 'view',
        topics: [
          'hosts',
          'deployments',
          'health.risk',
          'shadow.state',
          'region.blueprints',
          'region.dependencies',
          'region.health',
          'control.state',
          'region.failovers',
          'failover.events',
        ],
        dlqBy: [],
        relevant: () => true,
        effect: (i) => this.inReadModel(i),
      },
      {
        name: 'api-alerts',
        via: 'view',
        topics: ['alerts'],
        dlqBy: [],
        relevant: () => true,
        effect: (i) =>
          i.marker !== undefined && this.alerts!.list({ limit: 5_000 }).some((e) => e.alertId === i.marker),
      },
      {
        name: 'dashboard',
        via: 'view',
        topics: ['metrics.samples', 'health.baselines', 'health.risk', 'region.capacity'],
        dlqBy: [],
        relevant: () => true,
        effect: (i) => this.inDashboard(i),
      },
    );
    await this.observe();
  }

  private model: FleetReadModel | undefined;
  private alerts: AlertView | undefined;
  private ledger: KafkaLedger | undefined;
  private dashboard: DashboardState | undefined;

  /** The entry is in the actuator's ledger memory (the good ones name their marker as command id). */
  private async inLedger(i: TopicFuzzItem): Promise<boolean> {
    const key = i.key?.toString('utf8');
    if (key === undefined || i.marker === undefined) return false;
    return (await this.ledger!.get(key))?.commands.some((c) => c.id === i.marker) ?? false;
  }

  /** A query that throws counts as "no effect" here; `queryViews` reports the breakage itself. */
  private inReadModel(i: TopicFuzzItem): boolean {
    try {
      return this.readModelHas(i);
    } catch {
      return false;
    }
  }

  private readModelHas(i: TopicFuzzItem): boolean {
    const model = this.model!;
    const mk = i.marker;
    if (mk === undefined) return false;
    switch (i.topic) {
      case 'hosts':
        return model.fleet().some((h) => h.host === mk || h.host === i.key?.toString());
      case 'deployments':
        return model.deployment(mk) !== undefined || model.deployment(i.key?.toString() ?? '') !== undefined;
      case 'health.risk':
        return model.hostRisk(mk) !== undefined || model.hostRisk(i.key?.toString() ?? '') !== undefined;
      case 'shadow.state':
        return model.shadow(mk) !== undefined || model.shadow(i.key?.toString() ?? '') !== undefined;
      case 'region.blueprints':
        return model.blueprint(mk) !== undefined || model.blueprint(i.key?.toString() ?? '') !== undefined;
      case 'region.dependencies':
        return model.dag(mk) !== undefined || model.dag(i.key?.toString() ?? '') !== undefined;
      case 'region.health':
        // The read model files a record under its key, whatever region its value names.
        return model.regions().some((r) => (r.region === mk || r.region === i.key?.toString()) && r.health !== null);
      case 'failover.events':
        return model.eventList({ limit: 5_000 }).some((e) => e.eventId === mk);
      case 'control.state':
        return (
          model.maintenanceWindow(mk) !== undefined || model.maintenanceWindow(i.key?.toString() ?? '') !== undefined
        );
      case 'region.failovers':
        return model.regionFailover(mk) !== undefined || model.regionFailover(i.key?.toString() ?? '') !== undefined;
      default:
        return false;
    }
  }

  private inDashboard(i: TopicFuzzItem): boolean {
    const d = this.dashboard!;
    const mk = i.marker;
    if (mk === undefined) return false;
    const s = d.hostSeriesOf(mk) ?? d.hostSeriesOf(i.key?.toString() ?? '');
    switch (i.topic) {
      case 'metrics.samples':
        return s !== undefined;
      case 'health.baselines':
        return s !== undefined && Object.keys(s.baseline).length > 0;
      case 'health.risk':
        return s !== undefined && s.risk.length > 0;
      case 'region.capacity':
        return d.capacities().some((c) => c.region === mk);
      default:
        return false;
    }
  }

  /** Dead letters each app counted in its metrics, by application id. */
  async deadLetterCounts(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const { app } of this.apps) {
      const m = await app.metrics.deadLettered.get();
      out.set(
        app.topology.applicationId,
        m.values.reduce((a, v) => a + v.value, 0),
      );
    }
    return out;
  }

  /** Crashes and runtime errors the apps logged (an app that logs none kept running). */
  crashes(): AppLog[] {
    return this.logs.filter((l) => /crash|runtime error|cannot recover|punctuator failed/i.test(l.msg));
  }

  /** Every read-model query must still answer after the corpus (a bad record must not break one). */
  queryViews(): void {
    const model = this.model!;
    model.fleet();
    model.risks();
    model.shadowList({});
    const regions = model.regions();
    for (const r of regions) {
      model.blueprintWithLevels(r.region);
      model.dag(r.region);
    }
    model.eventList({ limit: 100 });
    model.control(Date.now());
    model.maintenanceWindows({}, Date.now());
    model.counts();
    model.freshness();
    this.dashboard!.capacities();
  }

  private async observe(): Promise<void> {
    const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`^(${esc(this.prefix)}\\.(out\\..*|.*\\.dlq)|${esc(this.appBase)}-.*)$`);
    const resultsTopic = this.out('act', 'results');
    const codec = registryCodec(registryUrl());
    const consumer = testKafka('fuzz-observer').consumer({ groupId: `fuzz-observer-${randomUUID()}` });
    this.observer = consumer;
    await consumer.connect();
    // A pattern is matched against the whole cluster's metadata, which is in flux while other tests run.
    await retryWhileInFlux(() => consumer.subscribe({ topics: [pattern], fromBeginning: true }));
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const h = (name: string): string | undefined => message.headers?.[name]?.toString();
        const id = h(FUZZ_HEADER);
        if (topic.endsWith('.dlq')) {
          this.dlq.set(`${topic}@${partition}@${message.offset}`, {
            dlqTopic: topic,
            fuzzId: id,
            sourceTopic: h(DLQ_HEADERS.sourceTopic) ?? '',
            sourceOffset: h(DLQ_HEADERS.sourceOffset) ?? '',
            by: h(DLQ_HEADERS.application) ?? h(DLQ_HEADERS.processor) ?? '',
            reason: h(DLQ_HEADERS.reason) ?? '',
            error: h(DLQ_HEADERS.error) ?? '',
          });
          return;
        }
        if (id !== undefined) {
          const s = this.idsOn.get(topic) ?? new Set<string>();
          s.add(id);
          this.idsOn.set(topic, s);
        }
        if (topic.endsWith('-changelog') && message.key) {
          const s = this.keysOn.get(topic) ?? new Set<string>();
          s.add(message.key.toString('utf8'));
          this.keysOn.set(topic, s);
        }
        if (topic === resultsTopic && message.value) {
          this.resultIds.add((await codec.decodeResult(message.value)).commandId);
        }
      },
    });
  }

  async close(): Promise<void> {
    await this.observer?.disconnect().catch(() => undefined);
    await Promise.all(this.stops.map((stop) => stop().catch(() => undefined)));
    await withAdmin(async (admin) => {
      const doomed = (await retryWhileInFlux(() => admin.listTopics())).filter(
        (t) => t.startsWith(`${this.prefix}.`) || t.startsWith(`${this.appBase}-`),
      );
      if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
      const groups = [...this.apps.map((a) => a.app.topology.applicationId), this.appId('actuator')];
      await admin.deleteGroups(groups).catch(() => undefined);
    }).catch(() => undefined);
    // Subjects registered for this run's topics.
    const base = registryUrl();
    const subjects = (await (await fetch(`${base}/subjects`)).json().catch(() => [])) as string[];
    const ours = subjects.filter((x) => x.startsWith(`${this.prefix}.`) || x.startsWith(`${this.appBase}-`));
    await Promise.all(
      ours.map((s) => fetch(`${base}/subjects/${encodeURIComponent(s)}`, { method: 'DELETE' }).catch(() => undefined)),
    );
    if (this.stateDir) await rm(this.stateDir, { recursive: true, force: true });
  }
}
