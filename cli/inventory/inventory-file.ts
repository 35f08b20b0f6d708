/**
 * An inventory file (example: examples/inventory.yaml) declares hosts (failure domain and capacity)
 * and the resources on them; `foreshadow inventory apply` turns it into the records of the `hosts`
 * and `deployments` tables. Entries are checked by the file's schema, by cross-references (unique
 * names, a resource's host declared here or already in the hosts table) and by the tables' own
 * record validators (streams/validation), and every problem is reported at once with its line.
 *
 * Every record an inventory writes carries its name (host label / deployment config
 * `foreshadow.dev/inventory`): removing an entry from the file removes (tombstones) only records of
 * this inventory, never ones written by another inventory or by other tools.
 */
import { z } from 'zod';
import { CRITICALITY_TIERS, type Deployment } from '../../schemas/records/deployment.js';
import { HOST_STATES, type Host } from '../../schemas/records/host.js';
import { DEPLOYMENTS_TOPIC, HOSTS_TOPIC } from '../../streams/catalogue.js';
import { recordProblems } from '../../streams/validation/topic-validators.js';
import {
  formatPath,
  locateIssues,
  readYamlSource,
  type SourceProblem,
  sourceError,
  type YamlSource,
} from '../yaml-source.js';

/** Label (hosts) and config key (deployments) naming the inventory that wrote a record. */
export const INVENTORY_MARK = 'foreshadow.dev/inventory';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - (not first)');
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

const hostEntrySchema = z.strictObject({
  host: name,
  region: z.string().min(1),
  zone: z.string().default(''),
  rack: z.string().default(''),
  /** Address of the host (agents, shadows started there). */
  address: z.string().default(''),
  capacity: z.strictObject({ cpuCores: z.number().positive(), memoryMb: z.number().int().positive() }),
  state: z.enum(HOST_STATES).default('UP'),
  labels: z.record(z.string(), z.string()).default({}),
});

const resourceEntrySchema = z.strictObject({
  id: name,
  kind: z.string().min(1),
  service: z.string().default(''),
  host: name,
  criticality: z.enum(CRITICALITY_TIERS).default('MEDIUM'),
  /** host:port a shadow replicates from (and the resource serves on); absent: no passive replica. */
  replicationEndpoint: hostPort.optional(),
  /** Where the resource's configuration lives (git path, CMDB id): copied into blueprints. */
  configRef: z.string().default(''),
  /** Per-resource settings for actuators, e.g. haproxy.backend, dns.name. */
  config: z.record(z.string(), z.string()).default({}),
  /** What the resource reserves on a host (placement of shadows nets it out). */
  requests: z.strictObject({ cpu: z.number().positive(), memoryMb: z.number().int().positive() }).optional(),
});

export const inventorySchema = z.strictObject({
  /** Names this inventory: its records carry it, and only they are removed when dropped from the file. */
  name,
  hosts: z.array(hostEntrySchema).default([]),
  resources: z.array(resourceEntrySchema).default([]),
});

export type InventoryDocument = z.output<typeof inventorySchema>;

export interface Inventory {
  name: string;
  hosts: Host[];
  deployments: Deployment[];
}

/** What the hosts table already holds that a resource of this file may stand on. */
export type KnownHosts = ReadonlyMap<string, Pick<Host, 'region' | 'zone' | 'rack'>>;

export function hostRecord(h: InventoryDocument['hosts'][number], inventory: string, now: number): Host {
  return {
    host: h.host,
    region: h.region,
    zone: h.zone,
    rack: h.rack,
    address: h.address,
    cpuCores: h.capacity.cpuCores,
    memoryMb: h.capacity.memoryMb,
    state: h.state,
    labels: { ...h.labels, [INVENTORY_MARK]: inventory },
    updatedAt: now,
  };
}

export function deploymentRecord(
  r: InventoryDocument['resources'][number],
  host: Pick<Host, 'region' | 'zone' | 'rack'>,
  inventory: string,
  now: number,
): Deployment {
  return {
    resourceId: r.id,
    kind: r.kind,
    service: r.service,
    host: r.host,
    region: host.region,
    zone: host.zone,
    rack: host.rack,
    tier: r.criticality,
    config: { ...r.config, [INVENTORY_MARK]: inventory },
    configRef: r.configRef,
    replication: r.replicationEndpoint !== undefined,
    address: r.replicationEndpoint ?? '',
    cpu: r.requests?.cpu ?? 1,
    memoryMb: r.requests?.memoryMb ?? 1024,
    outcome: 'SUCCEEDED',
    deployedAt: now,
  };
}

function entries(value: unknown, list: 'hosts' | 'resources'): unknown[] {
  const v = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[list] : undefined;
  return Array.isArray(v) ? v : [];
}

function field(entry: unknown, name: string): string | undefined {
  const v = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}

function duplicates(source: YamlSource, list: 'hosts' | 'resources', key: string): SourceProblem[] {
  const first = new Map<string, number>();
  const out: SourceProblem[] = [];
  entries(source.value, list).forEach((entry, i) => {
    const k = field(entry, key);
    if (k === undefined) return;
    const seen = first.get(k);
    if (seen === undefined) first.set(k, i);
    else
      out.push({
        line: source.lineOf([list, i, key]),
        path: formatPath([list, i, key]),
        message: `"${k}" is declared twice (first at line ${source.lineOf([list, seen, key])})`,
      });
  });
  return out;
}

/** Cross-references, checked on the file as written so they are reported beside schema problems. */
function crossReferenceProblems(source: YamlSource, known: KnownHosts | undefined): SourceProblem[] {
  const problems = [...duplicates(source, 'hosts', 'host'), ...duplicates(source, 'resources', 'id')];
  if (known === undefined) return problems;
  const declared = new Set(entries(source.value, 'hosts').map((h) => field(h, 'host')));
  entries(source.value, 'resources').forEach((r, i) => {
    const host = field(r, 'host');
    if (host === undefined || declared.has(host) || known.has(host)) return;
    problems.push({
      line: source.lineOf(['resources', i, 'host']),
      path: formatPath(['resources', i, 'host']),
      message: `host "${host}" is neither declared in this file nor in the hosts table`,
    });
  });
  return problems;
}

/**
 * The records an inventory file declares, or a ConfigError listing every problem with its line.
 * `known` holds the hosts already in the table (a resource may stand on one declared elsewhere);
 * without it (a check before the cluster is reached) a resource on an undeclared host passes.
 */
export function inventoryFrom(source: YamlSource, known: KnownHosts | undefined, now = Date.now()): Inventory {
  const parsed = inventorySchema.safeParse(source.value ?? {});
  const problems = crossReferenceProblems(source, known);
  if (!parsed.success) problems.push(...locateIssues(source, parsed.error.issues));
  if (!parsed.success || problems.length > 0) throw sourceError(source, 'inventory', problems);
  const doc = parsed.data;
  const hosts = doc.hosts.map((h) => hostRecord(h, doc.name, now));
  const domains = new Map<string, Pick<Host, 'region' | 'zone' | 'rack'>>(known ?? []);
  for (const h of hosts) domains.set(h.host, h);
  const unplaced = { region: '', zone: '', rack: '' };
  const deployments = doc.resources.map((r) => deploymentRecord(r, domains.get(r.host) ?? unplaced, doc.name, now));
  // The tables' own validators: what every consumer of these topics would refuse.
  hosts.forEach((h, i) => {
    for (const p of recordProblems(HOSTS_TOPIC, h))
      problems.push({ line: source.lineOf(['hosts', i]), path: formatPath(['hosts', i]), message: p });
  });
  deployments.forEach((d, i) => {
    for (const p of recordProblems(DEPLOYMENTS_TOPIC, d))
      problems.push({ line: source.lineOf(['resources', i]), path: formatPath(['resources', i]), message: p });
  });
  if (problems.length > 0) throw sourceError(source, 'inventory', problems);
  return { name: doc.name, hosts, deployments };
}

export function loadInventory(file: string, known: KnownHosts | undefined, now = Date.now()): Inventory {
  return inventoryFrom(readYamlSource(file), known, now);
}
