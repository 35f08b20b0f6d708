/**
 * Evidence parsers: each turns one record of an evidence topic into plain observations, without
 * resolving anything (resolution needs discovery state, see directory.ts). Accepted shapes are
 * listed in docs/dag-format.md; anything else yields no observations rather than an error, because
 * evidence topics carry many producers' formats and one odd record must not stop the mapper (the
 * topology's tagger dead-letters such records with a reason, see `isEvidence`).
 */
import { parse as parseYaml } from 'yaml';
import { type ValidationClock, WALL_CLOCK } from '../../validation/checks.js';

export const EVIDENCE_KINDS = ['config', 'discovery', 'flow', 'span'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** A network endpoint named somewhere: a hostname or IP, with a port when one was given. */
export interface EndpointRef {
  host: string;
  port?: number;
}

type Json = unknown;

function isObject(v: Json): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: Json): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function num(v: Json): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Configuration snapshots (topology.configs)

export interface ConfigSnapshot {
  region?: string;
  service: string;
  path?: string;
  references: EndpointRef[];
}

const URL_RE = /\b([a-z][a-z0-9+.-]*):\/\/(?:[^\s/@"']*@)?(\[[0-9a-f:]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?/gi;
const HOST_PORT_RE = /^(?:tcp:\/\/)?([a-z0-9_-]+(?:\.[a-z0-9_-]+)*):(\d{1,5})$/i;

/** Endpoints named by one configuration value: URLs and DSNs anywhere in it, or a bare host:port. */
export function endpointsInText(text: string): EndpointRef[] {
  const out: EndpointRef[] = [];
  for (const m of text.matchAll(URL_RE)) {
    const host = m[2]!.toLowerCase().replace(/^\[|\]$/g, '');
    const port = m[3] ? Number(m[3]) : undefined;
    out.push(port === undefined ? { host } : { host, port });
  }
  if (out.length === 0) {
    const m = HOST_PORT_RE.exec(text.trim());
    if (m) out.push({ host: m[1]!.toLowerCase(), port: Number(m[2]) });
  }
  return out;
}

const HOST_KEYS = /^(host|hostname|server|address|addr|endpoint)$/i;

function walkConfig(value: Json, out: EndpointRef[]): void {
  if (typeof value === 'string') {
    out.push(...endpointsInText(value));
  } else if (Array.isArray(value)) {
    for (const v of value) walkConfig(v, out);
  } else if (isObject(value)) {
    // {host: "db-main", port: 5432}: a structured endpoint without a URL.
    const hostKey = Object.keys(value).find((k) => HOST_KEYS.test(k));
    const host = hostKey ? str(value[hostKey]) : undefined;
    const port = num(value.port);
    if (host && !host.includes('://') && !host.includes(':')) {
      out.push(port === undefined ? { host: host.toLowerCase() } : { host: host.toLowerCase(), port });
    }
    for (const [k, v] of Object.entries(value)) {
      if (k === hostKey && typeof v === 'string' && !v.includes(':')) continue;
      walkConfig(v, out);
    }
  }
}

function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

function detectFormat(path: string | undefined, content: string): 'json' | 'yaml' | 'env' {
  const ext = path?.split('.').pop()?.toLowerCase();
  if (ext === 'json') return 'json';
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  if (ext === 'env') return 'env';
  const t = content.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) return 'json';
  if (/^\s*(?:export\s+)?[A-Z_][A-Z0-9_]*=/m.test(content) && !/^\s*[\w-]+:\s/m.test(content)) return 'env';
  return 'yaml';
}

/** Parses a configuration snapshot envelope `{service, region?, path?, format?, content}`. */
export function parseConfigSnapshot(value: Json, fallbackService?: string): ConfigSnapshot | undefined {
  if (!isObject(value)) return undefined;
  const service = str(value.service) ?? fallbackService;
  if (!service) return undefined;
  const path = str(value.path);
  const references: EndpointRef[] = [];
  const content = value.content;
  if (typeof content === 'string') {
    const format =
      (str(value.format)?.toLowerCase() as 'json' | 'yaml' | 'env' | undefined) ?? detectFormat(path, content);
    try {
      if (format === 'json') walkConfig(JSON.parse(content), references);
      else if (format === 'yaml') walkConfig(parseYaml(content), references);
      else walkConfig(Object.values(parseEnv(content)), references);
    } catch {
      // An unparsable file still names endpoints: scan it as text.
      references.push(...endpointsInText(content));
    }
  } else if (content !== undefined) {
    walkConfig(content, references);
  }
  const region = str(value.region);
  return { service, references, ...(region ? { region } : {}), ...(path ? { path } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Service discovery (topology.discovery)

export interface DiscoveryEvent {
  region?: string;
  service: string;
  op: 'register' | 'deregister';
  /** Instance endpoints; `port` absent when only the address is known. */
  endpoints: EndpointRef[];
  /** DNS names the service answers to. */
  names: string[];
  /** Services this one declares as upstreams (Consul Connect proxy). */
  upstreams: string[];
  /** Kubernetes Endpoints objects list every address: they replace, not add. */
  replace: boolean;
}

function consulProxyUpstreams(proxy: Json): string[] {
  if (!isObject(proxy) || !Array.isArray(proxy.Upstreams)) return [];
  return proxy.Upstreams.map((u) => (isObject(u) ? str(u.DestinationName) : undefined)).filter(
    (s): s is string => s !== undefined,
  );
}

function parseConsul(v: Record<string, unknown>, deregister: boolean): DiscoveryEvent | undefined {
  // Catalog entries (/v1/catalog/service) are flat; health entries nest Node and Service.
  const svc = isObject(v.Service) ? v.Service : v;
  const node = isObject(v.Node) ? v.Node : v;
  const name = str(svc.ServiceName) ?? str(svc.Service);
  if (!name) return undefined;
  const kind = str(svc.ServiceKind) ?? str(svc.Kind);
  const proxy = svc.ServiceProxy ?? svc.Proxy;
  const upstreams = consulProxyUpstreams(proxy);
  const region = str(v.Datacenter) ?? str(node.Datacenter) ?? str(v.region);
  if (kind === 'connect-proxy') {
    // A sidecar speaks for the service it fronts; its own address is the proxy's, not the service's.
    const owner = isObject(proxy) ? str(proxy.DestinationServiceName) : undefined;
    if (!owner) return undefined;
    return {
      service: owner,
      op: deregister ? 'deregister' : 'register',
      endpoints: [],
      names: [],
      upstreams,
      replace: false,
      ...(region ? { region } : {}),
    };
  }
  const address = str(svc.ServiceAddress) ?? str(svc.Address) ?? str(node.Address);
  const port = num(svc.ServicePort) ?? num(svc.Port);
  const endpoints: EndpointRef[] = address ? [port === undefined ? { host: address } : { host: address, port }] : [];
  return {
    service: name,
    op: deregister ? 'deregister' : 'register',
    endpoints,
    names: [name.toLowerCase(), `${name.toLowerCase()}.service.consul`],
    upstreams,
    replace: false,
    ...(region ? { region } : {}),
  };
}

function parseEndpoints(
  obj: Record<string, unknown>,
  type: string | undefined,
  region?: string,
): DiscoveryEvent | undefined {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const name = str(meta.name);
  if (!name) return undefined;
  const ns = str(meta.namespace) ?? 'default';
  const labels = isObject(meta.labels) ? meta.labels : {};
  const endpoints: EndpointRef[] = [];
  const subsets = Array.isArray(obj.subsets) ? obj.subsets : [];
  for (const subset of subsets) {
    if (!isObject(subset)) continue;
    const ports = (Array.isArray(subset.ports) ? subset.ports : []).map((p) => (isObject(p) ? num(p.port) : undefined));
    const addresses = Array.isArray(subset.addresses) ? subset.addresses : [];
    for (const a of addresses) {
      const ip = isObject(a) ? str(a.ip) : undefined;
      if (!ip) continue;
      const known = ports.filter((p): p is number => p !== undefined);
      if (known.length === 0) endpoints.push({ host: ip });
      for (const port of known) endpoints.push({ host: ip, port });
    }
  }
  const n = name.toLowerCase();
  const r = region ?? str(labels['topology.kubernetes.io/region']);
  return {
    service: name,
    op: type === 'DELETED' ? 'deregister' : 'register',
    endpoints,
    names: [n, `${n}.${ns}`, `${n}.${ns}.svc`, `${n}.${ns}.svc.cluster.local`],
    upstreams: [],
    replace: true,
    ...(r ? { region: r } : {}),
  };
}

/** Parses a Consul catalog/health entry or a Kubernetes Endpoints object or watch event. */
export function parseDiscovery(value: Json): DiscoveryEvent | undefined {
  if (!isObject(value)) return undefined;
  const region = str(value.region);
  if (isObject(value.object) && value.object.kind === 'Endpoints') {
    return parseEndpoints(value.object, str(value.type), region);
  }
  if (value.kind === 'Endpoints') return parseEndpoints(value, undefined, region);
  const op = str(value.Op) ?? str(value.op) ?? str(value.Action);
  const deregister = op !== undefined && /^dereg/i.test(op);
  const parsed = parseConsul(value, deregister);
  if (parsed && region && !parsed.region) parsed.region = region;
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Network flows (topology.flows)

export interface FlowRecord {
  region?: string;
  timestamp?: number;
  src: EndpointRef;
  dst: EndpointRef;
  bytes: number;
}

function firstStr(v: Record<string, unknown>, keys: string[]): string | undefined {
  for (const k of keys) {
    const s = str(v[k]);
    if (s) return s;
  }
  return undefined;
}

function firstNum(v: Record<string, unknown>, keys: string[]): number | undefined {
  for (const k of keys) {
    const n = num(v[k]);
    if (n !== undefined) return n;
  }
  return undefined;
}

/** Parses a flow record (camelCase, snake_case, or VPC-flow-log style field names). */
export function parseFlow(value: Json): FlowRecord | undefined {
  if (!isObject(value)) return undefined;
  const src = firstStr(value, ['srcAddr', 'src_addr', 'srcaddr', 'src', 'sourceAddress']);
  const dst = firstStr(value, ['dstAddr', 'dst_addr', 'dstaddr', 'dst', 'destinationAddress']);
  if (!src || !dst) return undefined;
  const srcPort = firstNum(value, ['srcPort', 'src_port', 'srcport', 'sourcePort']);
  const dstPort = firstNum(value, ['dstPort', 'dst_port', 'dstport', 'destinationPort']);
  const region = str(value.region);
  const timestamp = num(value.timestamp);
  return {
    src: srcPort === undefined ? { host: src } : { host: src, port: srcPort },
    dst: dstPort === undefined ? { host: dst } : { host: dst, port: dstPort },
    bytes: firstNum(value, ['bytes', 'octets', 'byteCount']) ?? 0,
    ...(region ? { region } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Trace spans (topology.spans)

export interface SpanCall {
  /** The calling service (parent span's service, or a client span's local service). */
  from: string;
  to: string;
}

export interface SpanBatch {
  region?: string;
  calls: SpanCall[];
}

interface FlatSpan {
  id: string;
  parentId?: string;
  service: string;
  kind?: string;
  remoteService?: string;
}

function zipkinSpans(list: Json[]): FlatSpan[] {
  const out: FlatSpan[] = [];
  for (const s of list) {
    if (!isObject(s)) continue;
    const id = str(s.id);
    const local = isObject(s.localEndpoint) ? str(s.localEndpoint.serviceName) : undefined;
    if (!id || !local) continue;
    const remote = isObject(s.remoteEndpoint) ? str(s.remoteEndpoint.serviceName) : undefined;
    const parentId = str(s.parentId);
    const kind = str(s.kind);
    out.push({
      id,
      service: local,
      ...(parentId ? { parentId } : {}),
      ...(kind ? { kind } : {}),
      ...(remote ? { remoteService: remote } : {}),
    });
  }
  return out;
}

function otlpAttr(attrs: Json, key: string): string | undefined {
  if (!Array.isArray(attrs)) return undefined;
  for (const a of attrs) {
    if (isObject(a) && a.key === key && isObject(a.value)) return str(a.value.stringValue);
  }
  return undefined;
}

function otlpSpans(resourceSpans: Json[]): { spans: FlatSpan[]; region?: string } {
  const spans: FlatSpan[] = [];
  let region: string | undefined;
  for (const rs of resourceSpans) {
    if (!isObject(rs)) continue;
    const attrs = isObject(rs.resource) ? rs.resource.attributes : undefined;
    const service = otlpAttr(attrs, 'service.name');
    region ??= otlpAttr(attrs, 'cloud.region');
    if (!service) continue;
    const scopes = Array.isArray(rs.scopeSpans)
      ? rs.scopeSpans
      : Array.isArray(rs.instrumentationLibrarySpans)
        ? rs.instrumentationLibrarySpans
        : [];
    for (const scope of scopes) {
      if (!isObject(scope) || !Array.isArray(scope.spans)) continue;
      for (const s of scope.spans) {
        if (!isObject(s)) continue;
        const id = str(s.spanId);
        if (!id) continue;
        const parentId = str(s.parentSpanId);
        const peer = otlpAttr(s.attributes, 'peer.service');
        // OTLP span kind 3 = CLIENT.
        const kind = s.kind === 3 || s.kind === 'SPAN_KIND_CLIENT' ? 'CLIENT' : undefined;
        spans.push({
          id,
          service,
          ...(parentId ? { parentId } : {}),
          ...(kind ? { kind } : {}),
          ...(peer ? { remoteService: peer } : {}),
        });
      }
    }
  }
  return region ? { spans, region } : { spans };
}

/**
 * Service calls in a batch of spans: a child span in another service than its parent is a call
 * parent → child; a CLIENT span naming its remote service is a call local → remote.
 */
export function callsFromSpans(spans: FlatSpan[]): SpanCall[] {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const calls: SpanCall[] = [];
  for (const s of spans) {
    const parent = s.parentId ? byId.get(s.parentId) : undefined;
    if (parent && parent.service !== s.service) calls.push({ from: parent.service, to: s.service });
    if (s.kind === 'CLIENT' && s.remoteService && s.remoteService !== s.service) {
      calls.push({ from: s.service, to: s.remoteService });
    }
  }
  return calls;
}

/** Parses Zipkin v2 JSON (array, or `{region, spans}`) or OTLP JSON (`{resourceSpans}`). */
export function parseSpans(value: Json): SpanBatch | undefined {
  if (Array.isArray(value)) return { calls: callsFromSpans(zipkinSpans(value)) };
  if (!isObject(value)) return undefined;
  const region = str(value.region);
  if (Array.isArray(value.spans)) {
    return { calls: callsFromSpans(zipkinSpans(value.spans)), ...(region ? { region } : {}) };
  }
  if (Array.isArray(value.resourceSpans)) {
    const parsed = otlpSpans(value.resourceSpans);
    const r = region ?? parsed.region;
    return { calls: callsFromSpans(parsed.spans), ...(r ? { region: r } : {}) };
  }
  return undefined;
}

/** True when `value` is a record of an accepted shape for its evidence kind (docs/dag-format.md). */
export function isEvidence(kind: EvidenceKind, value: Json, fallbackService?: string): boolean {
  switch (kind) {
    case 'config':
      // The envelope's `content` is what makes it a snapshot; the service may come from the key.
      return isObject(value) && 'content' in value && parseConfigSnapshot(value, fallbackService) !== undefined;
    case 'discovery':
      return parseDiscovery(value) !== undefined;
    case 'flow':
      return parseFlow(value) !== undefined;
    case 'span':
      return parseSpans(value) !== undefined;
  }
}

/**
 * Values no agent could have meant in evidence of an accepted shape: ports outside 0–65535,
 * negative byte counts, flow times before 1970 or beyond the broker's future bound (the record
 * validators' clock, streams/validation/checks.ts). Empty when the record is sane.
 */
export function evidenceProblems(kind: EvidenceKind, value: Json, clock: ValidationClock = WALL_CLOCK): string[] {
  const out: string[] = [];
  const port = (where: string, e: EndpointRef): void => {
    if (e.port !== undefined && !(Number.isInteger(e.port) && e.port >= 0 && e.port <= 65_535))
      out.push(`${where} port of ${e.host} is out of range (${e.port})`);
  };
  if (kind === 'discovery') {
    for (const e of parseDiscovery(value)?.endpoints ?? []) port('endpoint', e);
  } else if (kind === 'flow') {
    const f = parseFlow(value);
    if (!f) return out;
    port('source', f.src);
    port('destination', f.dst);
    if (f.bytes < 0) out.push(`bytes is negative (${f.bytes})`);
    const t = f.timestamp;
    if (t !== undefined && (t < 0 || t > clock.now() + clock.maxAheadMs))
      out.push(`timestamp ${t} is before 1970 or more than ${clock.maxAheadMs} ms ahead of the clock`);
  }
  return out;
}
