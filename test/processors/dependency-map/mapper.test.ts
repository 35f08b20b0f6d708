import { describe, expect, it } from 'vitest';
import {
  buildDag,
  type DagDocument,
  launchOrderViolations,
  stronglyConnectedComponents,
} from '../../../streams/processors/dependency-map/dag.js';
import { indexDirectory, resolveEndpoint } from '../../../streams/processors/dependency-map/directory.js';
import { confidence, DEFAULT_EDGE_POLICY, decay, observe } from '../../../streams/processors/dependency-map/edges.js';
import {
  endpointsInText,
  parseConfigSnapshot,
  parseDiscovery,
  parseFlow,
  parseSpans,
} from '../../../streams/processors/dependency-map/evidence.js';
import {
  currentDag,
  DEFAULT_MAPPER_OPTIONS,
  ingestEvidence,
  maintain,
  newRegionState,
  nextDag,
} from '../../../streams/processors/dependency-map/mapper.js';
import { renderDagSvg } from '../../../streams/processors/dependency-map/svg.js';
import {
  edgeAccuracy,
  generateEvidence,
  generateRegion,
  type SyntheticRegion,
} from '../../fixtures/regions/synthetic-region.js';

const T0 = 1_700_000_000_000;

function mapRegion(region: SyntheticRegion, order: Array<'configs' | 'discovery' | 'flows' | 'spans'>): DagDocument {
  const ev = generateEvidence(region, T0);
  const state = newRegionState(region.region);
  const kindOf = { configs: 'config', discovery: 'discovery', flows: 'flow', spans: 'span' } as const;
  for (const topic of order) {
    for (const m of ev[topic]) expect(ingestEvidence(state, kindOf[topic], m.value, m.timestamp)).toBe(true);
  }
  maintain(state, T0 + 1000);
  return currentDag(state, T0 + 1000, 1);
}

describe('evidence parsers', () => {
  it('finds URLs, DSNs and host:port in configuration text', () => {
    expect(endpointsInText('postgres://u:p@orders-db.eu.internal:5432/main')).toEqual([
      { host: 'orders-db.eu.internal', port: 5432 },
    ]);
    expect(endpointsInText('redis-cache:6379')).toEqual([{ host: 'redis-cache', port: 6379 }]);
    expect(endpointsInText('just text')).toEqual([]);
    const yaml = parseConfigSnapshot({
      service: 'a',
      path: 'x.yaml',
      content: 'db:\n  host: main-db\n  port: 5432\nupstream: "http://b:80/x"\n',
    });
    expect(yaml?.references).toEqual(
      expect.arrayContaining([
        { host: 'main-db', port: 5432 },
        { host: 'b', port: 80 },
      ]),
    );
    const env = parseConfigSnapshot({ service: 'a', format: 'env', content: 'export B_URL="http://b:80"\nX=1' });
    expect(env?.references).toEqual([{ host: 'b', port: 80 }]);
  });

  it('reads Consul entries, sidecar upstreams and Kubernetes Endpoints events', () => {
    const consul = parseDiscovery({ Datacenter: 'eu', ServiceName: 'a', ServiceAddress: '10.0.0.1', ServicePort: 80 });
    expect(consul).toMatchObject({
      region: 'eu',
      service: 'a',
      op: 'register',
      endpoints: [{ host: '10.0.0.1', port: 80 }],
    });
    const sidecar = parseDiscovery({
      ServiceName: 'a-sidecar-proxy',
      ServiceKind: 'connect-proxy',
      ServiceProxy: { DestinationServiceName: 'a', Upstreams: [{ DestinationName: 'b' }] },
    });
    expect(sidecar).toMatchObject({ service: 'a', upstreams: ['b'], endpoints: [] });
    const k8s = parseDiscovery({
      type: 'DELETED',
      object: { kind: 'Endpoints', metadata: { name: 'c', namespace: 'prod' }, subsets: [] },
    });
    expect(k8s).toMatchObject({ service: 'c', op: 'deregister', replace: true });
    expect(k8s?.names).toContain('c.prod.svc.cluster.local');
    expect(parseDiscovery({ hello: 1 })).toBeUndefined();
  });

  it('reads flows and Zipkin / OTLP spans', () => {
    expect(parseFlow({ src_addr: '1.1.1.1', dst_addr: '2.2.2.2', dst_port: 443, bytes: 10 })).toMatchObject({
      src: { host: '1.1.1.1' },
      dst: { host: '2.2.2.2', port: 443 },
      bytes: 10,
    });
    expect(
      parseSpans([
        { id: '1', localEndpoint: { serviceName: 'a' } },
        { id: '2', parentId: '1', localEndpoint: { serviceName: 'b' } },
        { id: '3', parentId: '2', localEndpoint: { serviceName: 'b' } },
        { id: '4', kind: 'CLIENT', localEndpoint: { serviceName: 'b' }, remoteEndpoint: { serviceName: 'db' } },
      ])?.calls,
    ).toEqual([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'db' },
    ]);
  });

  it('resolves only unambiguous addresses and internal names', () => {
    const ix = indexDirectory([
      { service: 'a', endpoints: { '10.0.0.1:80': 1, '10.0.0.1': 1, '10.0.0.9': 1 }, names: ['a'], lastSeen: 1 },
      {
        service: 'b',
        endpoints: { '10.0.0.9:81': 1, '10.0.0.9': 1 },
        names: ['b', 'b.prod.svc.cluster.local'],
        lastSeen: 1,
      },
    ]);
    expect(resolveEndpoint(ix, { host: '10.0.0.1', port: 80 })).toBe('a');
    expect(resolveEndpoint(ix, { host: '10.0.0.9', port: 81 })).toBe('b');
    expect(resolveEndpoint(ix, { host: '10.0.0.9' })).toBeUndefined();
    expect(resolveEndpoint(ix, { host: 'b.prod.svc.cluster.local' })).toBe('b');
    expect(resolveEndpoint(ix, { host: 'a.eu-west-1.internal' })).toBe('a');
    expect(resolveEndpoint(ix, { host: 'a.example.com' })).toBeUndefined();
  });
});

describe('DAG building', () => {
  it('finds strongly connected components', () => {
    const adj = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
    ]);
    expect(stronglyConnectedComponents(['a', 'b', 'c', 'd'], adj)).toEqual([['d'], ['a', 'b', 'c']]);
  });

  it('condenses cycles into launch groups and orders levels dependencies first', () => {
    const e = (from: string, to: string) => ({
      from,
      to,
      kinds: ['span' as const],
      weight: 1,
      confidence: 0.9,
      lastSeen: 0,
    });
    const dag = buildDag(
      'r',
      ['web', 'api', 'auth', 'db', 'cache'],
      [e('web', 'api'), e('api', 'auth'), e('auth', 'api'), e('auth', 'db'), e('api', 'cache')],
      3,
      10,
    );
    expect(dag.cycles).toEqual([['api', 'auth']]);
    expect(dag.levels).toEqual([['cache', 'db'], ['cycle:api'], ['web']]);
    expect(dag.nodes.find((n) => n.id === 'auth')).toEqual({ id: 'auth', group: 'cycle:api', level: 1 });
    expect(dag.edges.filter((x) => x.inCycle)).toHaveLength(2);
    expect(launchOrderViolations(dag)).toEqual([]);
  });
});

describe('edge evidence', () => {
  it('fades confidence over the TTL and decays the edge away after it', () => {
    let edge = observe(undefined, 'a', 'b', 'flow', 0, 100);
    // One flow record is not enough (a stray connection); two are.
    expect(confidence(edge, 0)).toBe(0);
    edge = observe(edge, 'a', 'b', 'flow', 0, 100);
    edge = observe(edge, 'a', 'b', 'span', 0);
    expect(confidence(edge, 0)).toBeCloseTo(1 - 0.3 * 0.1, 9);
    expect(confidence(edge, 1_800_000)).toBeCloseTo(1 - (1 - 0.35) * (1 - 0.45), 9);
    expect(decay(edge, 3_600_001)).toBeUndefined();
    const refreshed = observe(edge, 'a', 'b', 'span', 3_000_000);
    expect(decay(refreshed, 3_600_001)?.kinds.span?.lastSeen).toBe(3_000_000);
    expect(decay(refreshed, 3_600_001)?.kinds.flow).toBeUndefined();
  });
});

describe('dependency mapper on a synthetic region', () => {
  const region = generateRegion({ services: 50, edges: 200, cycles: 3, seed: 4 });

  it('generates what the acceptance needs', () => {
    expect(region.services).toHaveLength(50);
    expect(region.edges).toHaveLength(200);
    expect(region.cycleEdges).toHaveLength(3);
    expect(region.edges.filter((e) => e.evidence.length === 1).length).toBeGreaterThan(20);
  });

  it('maps the ground truth, condenses the cycles and orders launches', () => {
    const dag = mapRegion(region, ['discovery', 'configs', 'flows', 'spans']);
    const { precision, recall } = edgeAccuracy(dag, region);
    console.log(
      `dag: ${dag.nodes.length} nodes, ${dag.edges.length} edges, precision ${precision}, recall ${recall}, cycles ${dag.cycles.length}, levels ${dag.levels.length}`,
    );
    expect(dag.nodes).toHaveLength(50);
    expect(precision).toBe(1);
    expect(recall).toBe(1);
    expect(dag.cycles.length).toBe(3);
    for (const back of region.cycleEdges) {
      expect(dag.cycles.some((c) => c.includes(back.from) && c.includes(back.to))).toBe(true);
    }
    expect(launchOrderViolations(dag)).toEqual([]);
    // Single-kind edges are still found, with only their kind.
    for (const e of region.edges.filter((x) => x.evidence.length === 1)) {
      expect(dag.edges.find((d) => d.from === e.from && d.to === e.to)?.kinds).toEqual(e.evidence);
    }
  });

  it('keeps one-off connections out: without the repeat rule they would be false edges', () => {
    const ev = generateEvidence(region, T0);
    const options = {
      ...DEFAULT_MAPPER_OPTIONS,
      policy: { ...DEFAULT_EDGE_POLICY, minCount: { ...DEFAULT_EDGE_POLICY.minCount, flow: 1 } },
    };
    const state = newRegionState(region.region);
    for (const m of ev.discovery) ingestEvidence(state, 'discovery', m.value, T0, options);
    for (const m of ev.flows) ingestEvidence(state, 'flow', m.value, T0, options);
    for (const m of ev.spans) ingestEvidence(state, 'span', m.value, T0, options);
    for (const m of ev.configs) ingestEvidence(state, 'config', m.value, T0, options);
    maintain(state, T0 + 1000, options);
    const naive = edgeAccuracy(currentDag(state, T0 + 1000, 1, options), region);
    expect(naive.recall).toBe(1);
    expect(naive.precision).toBeCloseTo(200 / 215, 9);
  });

  it('resolves traffic seen before discovery once discovery arrives', () => {
    const dag = mapRegion(region, ['flows', 'configs', 'spans', 'discovery']);
    expect(edgeAccuracy(dag, region)).toEqual({ precision: 1, recall: 1 });
  });

  it('publishes only on change or schedule and lets unseen edges decay away', () => {
    const ev = generateEvidence(region, T0);
    const state = newRegionState(region.region);
    for (const m of ev.discovery) ingestEvidence(state, 'discovery', m.value, T0);
    for (const m of ev.flows) ingestEvidence(state, 'flow', m.value, T0);
    const first = nextDag(state, T0 + 1000, 600_000);
    expect(first?.version).toBe(1);
    expect(nextDag(state, T0 + 2000, 600_000)).toBeUndefined();
    for (const m of ev.spans) ingestEvidence(state, 'span', m.value, T0 + 2000);
    const second = nextDag(state, T0 + 3000, 600_000);
    expect(second?.version).toBe(2);
    expect(second!.edges.length).toBeGreaterThan(first!.edges.length);
    // Two hours later only configuration and discovery (24 h TTL) evidence remains.
    const later = nextDag(state, T0 + 2 * 3_600_000 + 3000, 600_000);
    expect(later?.edges.every((e) => e.kinds.every((k) => k === 'discovery'))).toBe(true);
  });
});

describe('SVG rendering', () => {
  it('renders one node per service and one path per edge', () => {
    const region = generateRegion({ services: 50, edges: 200, cycles: 3, seed: 4 });
    const dag = mapRegion(region, ['discovery', 'configs', 'flows', 'spans']);
    const svg = renderDagSvg(dag);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<g class="node"/g)).toHaveLength(50);
    expect(svg.match(/<path class="edge"/g)).toHaveLength(200);
    expect(svg.match(/<rect class="group"/g)).toHaveLength(3);
    expect(svg).not.toMatch(/NaN|undefined/);
  });
});
