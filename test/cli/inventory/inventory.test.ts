import { describe, expect, it } from 'vitest';
import { changedFields, diffInventory, renderDiff, summarise } from '../../../cli/inventory/inventory-diff.js';
import { INVENTORY_MARK, inventoryFrom, loadInventory } from '../../../cli/inventory/inventory-file.js';
import { parseYamlSource, readYamlSource } from '../../../cli/yaml-source.js';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { Host } from '../../../schemas/records/host.js';
import { ConfigError } from '../../../streams/runtime/errors.js';

const EXAMPLE = 'examples/inventory.yaml';
const NOW = 1_790_000_000_000;

function problems(text: string, known?: Map<string, Pick<Host, 'region' | 'zone' | 'rack'>>): string[] {
  try {
    inventoryFrom(parseYamlSource(text, 'inv.yaml'), known, NOW);
  } catch (err: unknown) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).context.problems as string[];
  }
  throw new Error('expected the inventory to be refused');
}

describe('inventory file', () => {
  it('the example declares hosts and resources as the tables hold them', () => {
    const inv = loadInventory(EXAMPLE, new Map(), NOW);
    expect(inv.name).toBe('prod-eu');
    expect(inv.hosts.map((h) => h.host)).toEqual([
      'eu-west-1a-01',
      'eu-west-1a-02',
      'eu-west-1b-01',
      'eu-west-1b-02',
      'eu-west-1c-01',
    ]);
    expect(inv.hosts[3]).toMatchObject({ cpuCores: 32, memoryMb: 131_072, state: 'MAINTENANCE', zone: 'eu-west-1b' });
    const orders = inv.deployments.find((d) => d.resourceId === 'redis-orders')!;
    expect(orders).toEqual({
      resourceId: 'redis-orders',
      kind: 'redis',
      service: 'orders',
      host: 'eu-west-1a-01',
      region: 'eu-west-1',
      zone: 'eu-west-1a',
      rack: 'r1',
      tier: 'CRITICAL',
      config: { 'haproxy.backend': 'be_redis_orders', [INVENTORY_MARK]: 'prod-eu' },
      configRef: 'git@git.example.internal:platform/redis.git#orders',
      replication: true,
      address: '10.0.1.11:6379',
      cpu: 1,
      memoryMb: 4096,
      outcome: 'SUCCEEDED',
      deployedAt: NOW,
    });
    // No replication endpoint: no passive replica possible.
    expect(inv.deployments.find((d) => d.resourceId === 'orders-api')).toMatchObject({
      replication: false,
      address: '',
    });
  });

  it('refuses every invalid entry at once, with its line and reason', () => {
    const text = [
      'name: t', // 1
      'hosts:', // 2
      '  - host: h1', // 3
      '    region: r', // 4
      '    capacity: { cpuCores: 0, memoryMb: 1024 }', // 5: no capacity
      '  - host: h1', // 6: duplicate
      '    region: r', // 7
      '    capacity: { cpuCores: 4, memoryMb: 1024 }', // 8
      '  - host: h2', // 9
      '    capacity: { cpuCores: 4, memoryMb: 1024 }', // 10: no region
      '    state: BROKEN', // 11
      'resources:', // 12
      '  - id: r1', // 13
      '    kind: redis', // 14
      '    host: h9', // 15: unknown host
      '    replicationEndpoint: nowhere', // 16: not host:port
      '  - id: r1', // 17: duplicate
      '    kind: redis', // 18
      '    host: h1', // 19
      '    criticality: URGENT', // 20
      '    colour: blue', // 21: unknown field
    ].join('\n');
    const p = problems(text, new Map());
    const expected: [number, string, RegExp][] = [
      [5, 'hosts[0].capacity.cpuCores', /Too small/],
      [6, 'hosts[1].host', /"h1" is declared twice \(first at line 3\)/],
      [9, 'hosts[2].region', /expected string/],
      [11, 'hosts[2].state', /Invalid option/],
      [15, 'resources[0].host', /host "h9" is neither declared in this file nor in the hosts table/],
      [16, 'resources[0].replicationEndpoint', /expected host:port/],
      [17, 'resources[1].id', /"r1" is declared twice \(first at line 13\)/],
      [20, 'resources[1].criticality', /Invalid option/],
      [21, 'resources[1].colour', /unknown key/],
    ];
    for (const [line, path, why] of expected) {
      const hit = p.find((x) => x.startsWith(`inv.yaml:${line}: ${path}:`));
      expect(hit, `${line} ${path}\n${p.join('\n')}`).toBeDefined();
      expect(hit).toMatch(why);
    }
  });

  it('a resource may stand on a host another inventory declared (in the table), not on an unknown one', () => {
    const text = 'name: t\nresources:\n  - { id: r1, kind: redis, host: elsewhere }\n';
    expect(problems(text, new Map())[0]).toMatch(/^inv\.yaml:3: resources\[0\]\.host: host "elsewhere"/);
    const inv = inventoryFrom(
      parseYamlSource(text, 'inv.yaml'),
      new Map([['elsewhere', { region: 'r', zone: 'z', rack: 'k' }]]),
      NOW,
    );
    expect(inv.deployments[0]).toMatchObject({ host: 'elsewhere', region: 'r', zone: 'z', rack: 'k' });
  });

  it('refuses what the tables validators refuse (the same checks every consumer applies)', () => {
    // An absurd updatedAt cannot be written in the file, but an empty region can slip through YAML as "".
    const p = problems('name: t\nhosts:\n  - { host: h, region: "", capacity: { cpuCores: 1, memoryMb: 1 } }\n');
    expect(p[0]).toMatch(/^inv\.yaml:3: hosts\[0\]\.region/);
  });
});

describe('inventory diff', () => {
  const inv = () => loadInventory(EXAMPLE, new Map(), NOW);
  const tables = () => {
    const i = inv();
    return {
      hosts: new Map(i.hosts.map((h) => [h.host, { ...h, updatedAt: 1 }])),
      deployments: new Map(i.deployments.map((d) => [d.resourceId, { ...d, deployedAt: 1 }])),
    };
  };

  it('against empty tables everything is added', () => {
    const d = diffInventory(inv(), new Map(), new Map());
    expect(summarise(d)).toEqual({
      hosts: { added: 5, changed: 0, unchanged: 0, removed: 0 },
      deployments: { added: 3, changed: 0, unchanged: 0, removed: 0 },
    });
    expect(renderDiff(d)).toContain('resource redis-orders added');
  });

  it('the same inventory again changes nothing (timestamps are not changes)', () => {
    const t = tables();
    const d = diffInventory(inv(), t.hosts, t.deployments);
    expect(summarise(d).hosts).toEqual({ added: 0, changed: 0, unchanged: 5, removed: 0 });
    expect(summarise(d).deployments).toEqual({ added: 0, changed: 0, unchanged: 3, removed: 0 });
    expect([...d.hosts, ...d.deployments].every((c) => c.write === undefined)).toBe(true);
    expect(renderDiff(d)).toEqual([]);
  });

  it('shows changed fields, removes what this inventory dropped, leaves other owners alone', () => {
    const t = tables();
    const next = inv();
    next.hosts[0] = { ...next.hosts[0]!, cpuCores: 24 };
    next.deployments = next.deployments.filter((d) => d.resourceId !== 'orders-api');
    next.deployments[0] = { ...next.deployments[0]!, tier: 'HIGH', config: { ...next.deployments[0]!.config, x: 'y' } };
    const foreign: Deployment = { ...t.deployments.get('orders-api')!, resourceId: 'db-main', config: {} };
    t.deployments.set('db-main', foreign);
    // Deploy tooling marked the last deployment FAILED: the inventory keeps that outcome.
    t.deployments.set('redis-orders', { ...t.deployments.get('redis-orders')!, outcome: 'FAILED' });
    const d = diffInventory(next, t.hosts, t.deployments);
    const host = d.hosts.find((c) => c.key === 'eu-west-1a-01')!;
    expect(host).toMatchObject({ kind: 'changed', fields: ['cpuCores: 16 → 24'] });
    const orders = d.deployments.find((c) => c.key === 'redis-orders')!;
    expect(orders.kind).toBe('changed');
    expect(orders.fields).toEqual(['tier: "CRITICAL" → "HIGH"', 'config.x: undefined → "y"']);
    expect((orders.write as Deployment).outcome).toBe('FAILED');
    expect(d.deployments.find((c) => c.key === 'orders-api')).toMatchObject({ kind: 'removed', write: null });
    expect(d.deployments.find((c) => c.key === 'db-main')).toBeUndefined();
    expect(renderDiff(d)).toEqual([
      'host eu-west-1a-01 changed: cpuCores: 16 → 24',
      'resource orders-api removed',
      'resource redis-orders changed: tier: "CRITICAL" → "HIGH"; config.x: undefined → "y"',
    ]);
  });

  it('adopts a record another tool wrote when the file now declares it', () => {
    const t = tables();
    const h = t.hosts.get('eu-west-1c-01')!;
    t.hosts.set('eu-west-1c-01', { ...h, labels: {} });
    const d = diffInventory(inv(), t.hosts, t.deployments);
    expect(d.hosts.find((c) => c.key === 'eu-west-1c-01')).toMatchObject({
      kind: 'changed',
      fields: [`labels.${INVENTORY_MARK}: undefined → "prod-eu"`],
    });
  });

  it('compares maps key by key', () => {
    expect(changedFields({ a: 1, m: { x: '1' } }, { a: 1, m: { x: '1' } })).toEqual([]);
    expect(changedFields({ a: 1, m: { x: '1', y: '2' } }, { a: 2, m: { x: '1' } })).toEqual([
      'a: 1 → 2',
      'm.y: "2" → undefined',
    ]);
  });

  it('the example file reads as YAML with lines', () => {
    expect(readYamlSource(EXAMPLE).lineOf(['resources', 0, 'criticality'])).toBeGreaterThan(10);
  });
});
