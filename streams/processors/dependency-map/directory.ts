/**
 * The service directory of a region, built from discovery events: which service owns an address
 * (ip:port, or ip alone when only one service lives there) and which DNS names mean which service.
 * Resolution is deliberately conservative: an address shared by several services, or a hostname
 * outside the internal domains, resolves to nothing rather than to a guess.
 */
import type { DiscoveryEvent, EndpointRef } from './evidence.js';

export interface DirectoryEntry {
  service: string;
  /** "ip:port" or "ip" → last seen (event time). */
  endpoints: Record<string, number>;
  names: string[];
  lastSeen: number;
}

/** Directory of one region: service → entry (the processor stores one entry per key). */
export type Directory = Map<string, DirectoryEntry>;

export const DEFAULT_INTERNAL_DOMAINS = ['internal', 'cluster.local', 'consul', 'local', 'svc'] as const;

export function applyDiscovery(dir: Directory, event: DiscoveryEvent, timestamp: number): DirectoryEntry | undefined {
  const existing = dir.get(event.service);
  if (event.op === 'deregister') {
    if (!existing) return undefined;
    for (const e of event.endpoints) {
      delete existing.endpoints[endpointKey(e)];
      delete existing.endpoints[e.host];
    }
    if (event.replace || event.endpoints.length === 0) existing.endpoints = {};
    existing.lastSeen = Math.max(existing.lastSeen, timestamp);
    return existing;
  }
  const entry: DirectoryEntry = existing ?? { service: event.service, endpoints: {}, names: [], lastSeen: timestamp };
  if (event.replace) entry.endpoints = {};
  for (const e of event.endpoints) {
    entry.endpoints[endpointKey(e)] = timestamp;
    // The bare address too, so flow sources (ephemeral ports) resolve by address alone.
    entry.endpoints[e.host] = timestamp;
  }
  entry.names = [...new Set([...entry.names, ...event.names, event.service.toLowerCase()])];
  entry.lastSeen = Math.max(entry.lastSeen, timestamp);
  dir.set(event.service, entry);
  return entry;
}

export function endpointKey(e: EndpointRef): string {
  return e.port === undefined ? e.host : `${e.host}:${e.port}`;
}

/** Indexes for resolution; rebuild after the directory changes. */
export interface DirectoryIndex {
  byEndpoint: Map<string, Set<string>>;
  byName: Map<string, Set<string>>;
  services: Set<string>;
}

export function indexDirectory(
  entries: Iterable<DirectoryEntry>,
  knownServices: Iterable<string> = [],
): DirectoryIndex {
  const byEndpoint = new Map<string, Set<string>>();
  const byName = new Map<string, Set<string>>();
  const services = new Set<string>(knownServices);
  const add = (m: Map<string, Set<string>>, k: string, s: string): void => {
    const set = m.get(k) ?? new Set<string>();
    set.add(s);
    m.set(k, set);
  };
  for (const e of entries) {
    services.add(e.service);
    for (const k of Object.keys(e.endpoints)) add(byEndpoint, k, e.service);
    for (const n of e.names) add(byName, n, e.service);
  }
  for (const s of services) add(byName, s.toLowerCase(), s);
  return { byEndpoint, byName, services };
}

function only(set: Set<string> | undefined): string | undefined {
  return set && set.size === 1 ? [...set][0] : undefined;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** The service an endpoint reference names, if exactly one does. */
export function resolveEndpoint(
  index: DirectoryIndex,
  ref: EndpointRef,
  internalDomains: readonly string[] = DEFAULT_INTERNAL_DOMAINS,
): string | undefined {
  const host = ref.host.toLowerCase();
  if (IPV4.test(host) || host.includes(':')) {
    if (ref.port !== undefined) {
      const exact = only(index.byEndpoint.get(`${host}:${ref.port}`));
      if (exact) return exact;
    }
    return only(index.byEndpoint.get(host));
  }
  const named = only(index.byName.get(host));
  if (named) return named;
  // "orders-api.eu-west-1.internal", "orders-api.prod.svc.cluster.local": first label is the service.
  const dot = host.indexOf('.');
  if (dot > 0 && internalDomains.some((d) => host.endsWith(`.${d}`))) {
    return only(index.byName.get(host.slice(0, dot)));
  }
  return undefined;
}
